"""A citizen's contact on a report: a Vietnamese phone number (mobile or landline) or an email, at
least one. Stored normalised (0905123456, name@example.vn) so the case lookup's second factor (the
last 3 digits, or the email) and a callback read it the same way whatever the citizen typed."""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

# numbers a citizen can be called back on: no premium (1900), short (113) or foreign numbers
_CALLABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
             phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


class ContactRefused(ValueError):
    """`code`: no_contact | bad_phone | bad_email."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Contact:
    phone: str | None  # national digits: 0905123456
    email: str | None  # lower-cased


def phone(text: str) -> str:
    """'+84 905 123 456', '0905.123.456', '0236 3822 123' -> national digits; ContactRefused otherwise."""
    typed = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if not 9 <= len(typed.lstrip("+")) <= 13 or "+" in typed[1:] or re.search(r"[^\d\s().+-]", text):
        raise ContactRefused("bad_phone")
    try:
        parsed = phonenumbers.parse(typed, "VN")
    except phonenumbers.NumberParseException:
        raise ContactRefused("bad_phone") from None
    if parsed.country_code != 84 or not phonenumbers.is_valid_number(parsed) \
            or phonenumbers.number_type(parsed) not in _CALLABLE:
        raise ContactRefused("bad_phone")
    return "0" + str(parsed.national_number)


def email(text: str) -> str:
    value = text.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ContactRefused("bad_email")
    return value.lower()


def contact(phone_text: str, email_text: str) -> Contact:
    """At least one of the two; each one given must be valid (the first refusal is raised: phone first)."""
    phone_text, email_text = phone_text.strip(), email_text.strip()
    if not phone_text and not email_text:
        raise ContactRefused("no_contact")
    return Contact(phone(phone_text) if phone_text else None, email(email_text) if email_text else None)
