"""Vietnamese phone numbers for callbacks (the `phonenumbers` library, region VN)."""
from __future__ import annotations

import phonenumbers

CALLABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _parse(number: str) -> phonenumbers.PhoneNumber | None:
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    if not digits or len(digits) > 16:
        return None
    try:
        return phonenumbers.parse(digits, "VN")
    except phonenumbers.NumberParseException:
        return None


def valid(number: str) -> bool:
    """A callable Vietnamese number (mobile or fixed line); withheld, short, premium and
    foreign numbers are not."""
    parsed = _parse(number)
    return bool(parsed and parsed.country_code == 84 and phonenumbers.is_valid_number(parsed)
                and phonenumbers.number_type(parsed) in CALLABLE)


def national(number: str) -> str:
    """'+84905123456' -> '0905123456' (digits only, as dialled over the trunk)."""
    parsed = _parse(number)
    if parsed is None:  # callers check valid() first; a bad number is a bug, not a silent "0None"
        raise ValueError(f"not a phone number: {number!r}")
    return "0" + str(parsed.national_number)
