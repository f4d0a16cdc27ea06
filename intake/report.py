"""A report typed on the portal's form, checked as a whole: every refusal is named with the form's
field it belongs to, so the page can say all of them at once beside what the citizen typed.

Refusal codes, by field: field (missing, unknown), area (missing, unknown), address (too_long),
description (missing, too_long), contact (missing), phone (bad_phone), email (bad_email),
consent (missing), photos (too_many; per photo: not_image, too_big)."""
from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from intake import contact as contacts
from intake import photos

MAX_DESCRIPTION = 4000
MAX_ADDRESS = 255


@dataclass(frozen=True)
class Typed:
    """The form as it came in (text fields as typed; photos as their bytes and names)."""
    field: str = ""
    area: str = ""
    address: str = ""
    description: str = ""
    phone: str = ""
    email: str = ""
    consent: bool = False
    photos: tuple[tuple[str, bytes], ...] = ()  # (the file's name, its bytes)


@dataclass(frozen=True)
class Problem:
    name: str  # the form's field
    code: str
    detail: str = ""  # a photo's file name, a length typed


@dataclass(frozen=True)
class Report:
    field: str
    area: str
    address: str | None
    description: str
    contact: contacts.Contact
    photos: tuple[photos.CleanPhoto, ...]


def text(value: str) -> str:
    """Trimmed, in composed Unicode (a phone may send 'ê' as e + circumflex: the same letter to a reader
    and to a search), with control characters other than line breaks and tabs taken out."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def check(typed: Typed, fields: Collection[str], areas: Collection[str]) -> tuple[Report | None, list[Problem]]:
    """The report, or None with every problem found (each photo decoded, so each refusal is said at once)."""
    problems: list[Problem] = []
    if not typed.field:
        problems.append(Problem("field", "missing"))
    elif typed.field not in fields:
        problems.append(Problem("field", "unknown"))
    if not typed.area:
        problems.append(Problem("area", "missing"))
    elif typed.area not in areas:
        problems.append(Problem("area", "unknown"))
    address, description = text(typed.address), text(typed.description)
    if len(address) > MAX_ADDRESS:
        problems.append(Problem("address", "too_long", str(len(address))))
    if not description:
        problems.append(Problem("description", "missing"))
    elif len(description) > MAX_DESCRIPTION:
        problems.append(Problem("description", "too_long", str(len(description))))
    phone, email = _contact(typed, problems)
    if not typed.consent:
        problems.append(Problem("consent", "missing"))
    cleaned = _photos(typed.photos, problems)
    if problems:
        return None, problems
    return Report(typed.field, typed.area, address or None, description, contacts.Contact(phone, email),
                  tuple(cleaned)), []


def _contact(typed: Typed, problems: list[Problem]) -> tuple[str | None, str | None]:
    phone_text, email_text = typed.phone.strip(), typed.email.strip()
    if not phone_text and not email_text:
        problems.append(Problem("contact", "missing"))
        return None, None
    phone = email = None
    try:
        phone = contacts.phone(phone_text) if phone_text else None
    except contacts.ContactRefused as e:
        problems.append(Problem("phone", e.code))
    try:
        email = contacts.email(email_text) if email_text else None
    except contacts.ContactRefused as e:
        problems.append(Problem("email", e.code))
    return phone, email


def _photos(files: tuple[tuple[str, bytes], ...], problems: list[Problem]) -> list[photos.CleanPhoto]:
    if len(files) > photos.MAX_PHOTOS:
        problems.append(Problem("photos", "too_many", str(len(files))))
        return []
    cleaned = []
    for name, data in files:
        try:
            cleaned.append(photos.clean(data))
        except photos.PhotoRefused as e:
            problems.append(Problem("photos", e.code, name))
    return cleaned
