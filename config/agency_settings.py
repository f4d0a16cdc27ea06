"""The site's agencies as typed settings (filled by `config.agencies_file`): who handles which
field in which area, their contact points, the routing rules, the deadline policies, and the
agencies' office hours that working-hour deadlines count in."""
from __future__ import annotations

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
