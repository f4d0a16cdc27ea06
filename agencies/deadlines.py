"""Deadline arithmetic: when an assignment falls due, and how much of its time has passed.

Three units (config.agency_settings.Deadline):
- "working_days": N working days from a moment is the same clock time on the Nth following
  working day; a start outside office hours counts from the next opening.
- "working_hours": N hours of office time (the agencies' office hours on working days).
- "hours": N hours around the clock, weekends and holidays included (a fallen tree on a road).
Working days are the site's office days minus Vietnamese public holidays, Tết and the site's extra
closed days (the same calendar as the hotline's opening hours: ivr.hours.holiday_name).
Times in and out are aware, in the site's time zone. Pure functions: no clock, no database.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from config import Site
from config.agency_settings import AgencySettings, Deadline
from ivr.hours import holiday_name

_HORIZON_DAYS = 3660  # a calendar with no working day for ten years is a broken site file


class DeadlineError(ValueError):
    pass


def policy_for(settings: AgencySettings, field: str, agency: str | None) -> Deadline:
    """The agency's own policy for the field, else the field's, else the site's default."""
    for p in settings.policies:
        if p.field == field and agency is not None and p.agency == agency:
            return p.deadline
    for p in settings.policies:
        if p.field == field and p.agency is None:
            return p.deadline
    return settings.default_deadline


def is_working_day(site: Site, day: date) -> bool:
    return day.weekday() in site.agencies.office_days and not holiday_name(site, day)


def _periods(site: Site, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    if not is_working_day(site, day):
        return []
    midnight = datetime.combine(day, time(0), tz)
    return [(midnight + timedelta(minutes=a), midnight + timedelta(minutes=b)) for a, b in site.agencies.office_hours]


def _periods_from(site: Site, when: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Office periods that end after `when`, in order (the first may have begun before it)."""
    tz = _tz(site)
    for offset in range(_HORIZON_DAYS):
        for start, end in _periods(site, when.date() + timedelta(days=offset), tz):
            if end > when:
                yield start, end
    raise DeadlineError(f"no office hours in the {_HORIZON_DAYS} days after {when.isoformat()}")


def _tz(site: Site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


def _local(site: Site, when: datetime) -> datetime:
    if when.tzinfo is None:
        raise DeadlineError("deadline arithmetic needs aware times (site-local)")
    return when.astimezone(_tz(site))


def next_office_moment(site: Site, when: datetime) -> datetime:
    """`when` if the agencies' offices are open then, else their next opening."""
    when = _local(site, when)
    start, _ = next(_periods_from(site, when))
    return max(start, when)


def due(start: datetime, deadline: Deadline, site: Site) -> datetime:
    """When an assignment made at `start` under `deadline` falls due (site-local, aware)."""
    start = _local(site, start)
    if deadline.unit == "hours":
        return (start.astimezone(UTC) + timedelta(hours=deadline.amount)).astimezone(_tz(site))
    begin = next_office_moment(site, start)
    if deadline.unit == "working_days":
        day, left = begin.date(), deadline.amount
        for _ in range(_HORIZON_DAYS):
            day += timedelta(days=1)
            if is_working_day(site, day):
                left -= 1
                if left == 0:
                    return datetime.combine(day, begin.timetz())
        raise DeadlineError(f"fewer than {deadline.amount} working days in the {_HORIZON_DAYS} days after {begin}")
    if deadline.unit == "working_hours":
        left_time = timedelta(hours=deadline.amount)
        for p_start, p_end in _periods_from(site, begin):
            available = p_end - max(p_start, begin)
            if left_time <= available:
                return max(p_start, begin) + left_time
            left_time -= available
    raise DeadlineError(f"unknown deadline unit {deadline.unit!r}")


def office_time(site: Site, a: datetime, b: datetime) -> timedelta:
    """Office time between two moments (zero if b is not after a)."""
    a, b = _local(site, a), _local(site, b)
    total = timedelta(0)
    if b <= a:
        return total
    for p_start, p_end in _periods_from(site, a):
        if p_start >= b:
            break
        total += min(p_end, b) - max(p_start, a)
    return total


def fraction_elapsed(start: datetime, due_at: datetime, now: datetime, deadline: Deadline, site: Site) -> float:
    """How much of the time to `due_at` has passed at `now`, in the deadline's own units (office
    time for working days and hours): 0.5 and 0.8 send the reminders, 1.0 or more is overdue."""
    if now >= due_at:
        return max(1.0, (now - start) / (due_at - start) if deadline.unit == "hours" and due_at > start else 1.0)
    if now <= start:
        return 0.0
    if deadline.unit == "hours":
        return (now - start) / (due_at - start)
    whole = office_time(site, start, due_at)
    return office_time(site, start, now) / whole if whole else 1.0
