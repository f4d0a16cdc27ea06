"""The site's agencies as typed settings (filled by `config.agencies_file`): who handles which
field in which area, their contact points, the routing rules, the deadline policies, and the
agencies' office hours that working-hour deadlines count in."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None
    mobile: str | None  # national or +84 form
    username: str | None = None  # their console account (role agency)
    head: bool = False  # told when a case of the agency is overdue


@dataclass(frozen=True)
class AgencyData:
    key: str
    name: str  # Vietnamese
    kind: str  # department | district | ward | utility | police | other
    fields: tuple[str, ...]
    areas: tuple[str, ...]  # () = the whole province
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Route:
    """A report of `field` in `area` ("*": any) goes to `agency`."""
    field: str
    area: str
    agency: str


@dataclass(frozen=True)
class Deadline:
    amount: int
    unit: str  # "working_hours" | "working_days" | "hours" (around the clock, holidays too)


@dataclass(frozen=True)
class DeadlinePolicy:
    field: str
    deadline: Deadline
    agency: str | None = None  # an override for one agency


@dataclass(frozen=True)
class AgencySettings:
    agencies: tuple[AgencyData, ...] = ()
    routes: tuple[Route, ...] = ()
    policies: tuple[DeadlinePolicy, ...] = ()
    office_hours: tuple[tuple[int, int], ...] = ((450, 690), (810, 1020))  # minutes: 07:30-11:30, 13:30-17:00
    office_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday..Friday
    default_deadline: Deadline = Deadline(5, "working_days")
    link_hours: int = 72  # how long a one-time link in a notification stays valid

    def agency(self, key: str) -> AgencyData | None:
        return next((a for a in self.agencies if a.key == key), None)


# What the loader, the CSV import and the CLI accept (one set of rules for every way in).
KINDS = ("department", "district", "ward", "utility", "police", "other")
AGENCY_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")  # web.accounts.USERNAME
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_MOBILE = re.compile(r"^(0|\+84)(3|5|7|8|9)[0-9]{8}$")  # Vietnamese mobiles: 03x 05x 07x 08x 09x
_DEADLINE = re.compile(r"^\s*([0-9]{1,4})\s+(working days?|working hours?|hours?|ngày làm việc|giờ làm việc|giờ)\s*$")
_UNITS = {"working day": "working_days", "working days": "working_days", "ngày làm việc": "working_days",
          "working hour": "working_hours", "working hours": "working_hours", "giờ làm việc": "working_hours",
          "hour": "hours", "hours": "hours", "giờ": "hours"}
DEADLINE_FORMS = '"3 working days", "8 working hours" or "4 hours"'


def email_problem(value: str) -> str | None:
    return None if _EMAIL.match(value) and len(value) <= 255 else "must be an email address like name@example.vn"


def mobile_problem(value: str) -> str | None:
    return None if _MOBILE.match(value) else "must be a Vietnamese mobile number like 0905123456 or +84905123456"


def parse_deadline(text: str) -> Deadline | None:
    """'3 working days' / '8 working hours' / '4 hours' (or '3 ngày làm việc', '8 giờ làm việc',
    '4 giờ') -> Deadline; None if it does not parse or is zero."""
    m = _DEADLINE.match(text.lower())
    if not m or not 1 <= int(m.group(1)) <= 1000:
        return None
    return Deadline(int(m.group(1)), _UNITS[m.group(2)])


def describe_deadline(d: Deadline, lang: str = "vi") -> str:
    vi = {"working_days": "ngày làm việc", "working_hours": "giờ làm việc", "hours": "giờ (kể cả ngày nghỉ)"}
    en = {"working_days": "working day", "working_hours": "working hour", "hours": "hour"}
    if lang == "vi":
        return f"{d.amount} {vi[d.unit]}"
    return f"{d.amount} {en[d.unit]}{'' if d.amount == 1 else 's'}" + (" around the clock" if d.unit == "hours" else "")
