"""Times as people at the site read and type them: `dd/mm/yyyy HH:MM` in the site's time zone.
The database keeps naive UTC; these convert at the edges (CLI today, pages and CSV later)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
MOMENT_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
SPANS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_day(text: str) -> date:
    """'31/12/2026' or '2026-12-31'; ValueError with a one-line reason otherwise."""
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"a day is dd/mm/yyyy or yyyy-mm-dd, got {text!r}")


def parse_moment(text: str, tz: str, now: datetime | None = None) -> datetime:
    """A site-local moment ('31/12/2026 08:00', '2026-12-31') or a span back from now ('2h', '7d'),
    as naive UTC."""
    text = text.strip()
    now = now or datetime.now(UTC).replace(tzinfo=None)
    if text[-1:] in SPANS and text[:-1].isdigit():
        return now - timedelta(**{SPANS[text[-1]]: int(text[:-1])})
    for fmt in MOMENT_FORMATS:
        try:
            local = datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(tz))
        except ValueError:
            continue
        return local.astimezone(UTC).replace(tzinfo=None)
    raise ValueError(f"use dd/mm/yyyy [HH:MM] (site time) or a span like 30m, 2h, 7d; got {text!r}")


def show(at: datetime | None, tz: str, seconds: bool = False) -> str:
    """Naive UTC from the database -> 'dd/mm/yyyy HH:MM' at the site."""
    if at is None:
        return "-"
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    return local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")
