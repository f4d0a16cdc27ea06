"""The agencies' statistics for leaders: per agency and per field, over the assignments forwarded
in a period (by their forward day in the site's zone). Pure: rows in, figures out
(db.queries.agency_stats reads the rows; web.reports and `tongdai stats --agencies` show them).

What each assignment counts as (`outcome`):
- closed with an approved answer: on time or late as the `late` flag stored when it closed says.
  The flag is the truth: a deadline policy changed later does not move old figures. (A closed row
  without the flag, which the review never writes, falls back to its answer time.)
- answered, waiting for the supervisor's review: its answer time against its deadline.
- in progress, asked for more time, or its answer returned by the supervisor: open, and overdue
  once now is past its deadline.
- rejected, or closed without approval (that is: rerouted after a rejection): declined. A rerouted
  assignment counts for the agency that had it (received, then declined), not for its successor's:
  the successor is an assignment of its own, counted for the agency that got it, from the reroute
  (its forward time) to its own deadline. Declined ones are outside the on-time rate: that agency
  gave no answer, and whether the case was late shows on the successor.

The on-time rate is counted against the closed (answered or approved) PLUS the open overdue ones,
so a case left open past its deadline lowers it instead of hiding:
on_time / (on_time + late + open_overdue).
The time to answer is wall-clock time from the forward to the answer, in hours (not office hours),
its median over the answered ones (on time or late).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from db.queries.agency_stats import AssignmentFacts

MAX_DAYS = 366
OUTCOMES = ("on_time", "late", "open_overdue", "open_in_time", "declined")
NO_FIELD = "-"  # a ticket forwarded without a field (the reports page says "not recorded")


class PeriodError(ValueError):
    """A period refused: `code` is bad_range (to before from) or too_long."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def period(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """The site-local days first..last as [start, end) in naive UTC (as stored)."""
    if last < first:
        raise PeriodError("to: must not be before from", "bad_range")
    if (last - first).days >= MAX_DAYS:
        raise PeriodError(f"at most {MAX_DAYS} days", "too_long")
    zone = ZoneInfo(tz)

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC).replace(tzinfo=None)

    return utc(first), utc(last + timedelta(days=1))


def outcome(a: AssignmentFacts, now: datetime) -> str:
    """One of OUTCOMES (the rule in the module's docstring); `now` in naive UTC."""
    if a.processing == "closed":
        if a.review != "approved":
            return "declined"  # rerouted
        late = a.late if a.late is not None else (a.answered_at or a.closed_at or now) > a.deadline_at
        return "late" if late else "on_time"
    if a.processing == "answered":
        return "late" if (a.answered_at or now) > a.deadline_at else "on_time"
    if a.processing == "rejected":
        return "declined"
    return "open_overdue" if now > a.deadline_at else "open_in_time"


def on_time_rate(on_time: int, late: int, open_overdue: int) -> float | None:
    counted = on_time + late + open_overdue
    return round(on_time / counted, 4) if counted else None


def figures(rows: Iterable[AssignmentFacts], now: datetime) -> dict[str, Any]:
    """received, each outcome's count, on_time_rate (None: nothing to count) and median_hours
    (None: no answer yet) of these assignments."""
    counts = dict.fromkeys(OUTCOMES, 0)
    hours: list[float] = []
    received = 0
    for a in rows:
        received += 1
        what = outcome(a, now)
        counts[what] += 1
        if what in ("on_time", "late") and a.answered_at is not None:
            hours.append((a.answered_at - a.forwarded_at).total_seconds() / 3600)
    return {"received": received, **counts,
            "on_time_rate": on_time_rate(counts["on_time"], counts["late"], counts["open_overdue"]),
            "median_hours": round(median(hours), 1) if hours else None}


def grouped(rows: Iterable[AssignmentFacts], key: Callable[[AssignmentFacts], str],
            now: datetime) -> dict[str, dict[str, Any]]:
    """figures per key, the most received first (then by key)."""
    groups: dict[str, list[AssignmentFacts]] = defaultdict(list)
    for a in rows:
        groups[key(a)].append(a)
    out = {k: figures(g, now) for k, g in groups.items()}
    return dict(sorted(out.items(), key=lambda kv: (-kv[1]["received"], kv[0])))


def report(rows: list[AssignmentFacts], now: datetime, agency_names: Mapping[str, str],
           field_names: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """{agencies: [...], fields: [...], totals}: each row its key, names and figures. Agencies
    have one (Vietnamese) name, the one they are known by in either language; fields have the
    site's Vietnamese and English labels (an unknown key shows as itself)."""
    agencies = [{"key": k, "name": agency_names.get(k, k), **f}
                for k, f in grouped(rows, lambda a: a.agency, now).items()]
    fields = [{"key": k, "name": field_names.get(k, (k, k))[0], "name_en": field_names.get(k, (k, k))[1], **f}
              for k, f in grouped(rows, lambda a: a.field or NO_FIELD, now).items()]
    return {"agencies": agencies, "fields": fields, "totals": figures(rows, now)}


# The spreadsheet: `names` is the reader's message catalog (web/catalogs/<lang>/*.json plus the
# site's codes), so the headings and the fields' names read as on the page.
TABLES = ("agencies", "fields")
_COLUMNS = ("received", "on_time", "late", "open_overdue", "open_in_time", "declined")


def table(data: Mapping[str, Any], name: str, names: Mapping[str, str]) -> list[list[Any]]:
    """The agencies' or the fields' figures as rows (the first row is the headings)."""
    if name not in TABLES:
        raise ValueError(f"table: one of {', '.join(TABLES)}")
    n = names.get
    head: list[Any] = [n("reports.agency_name" if name == "agencies" else "reports.field_name", name),
                       *[n(f"reports.ag_{c}", c) for c in _COLUMNS], f"{n('reports.ag_on_time_rate', 'rate')} (%)",
                       n("reports.ag_median_hours", "median hours")]
    rows = [head]
    for r in data[name]:
        shown = r["name"] if name == "agencies" else (
            n("reports.none", NO_FIELD) if r["key"] == NO_FIELD else n(f"field.{r['key']}", r["name"]))
        rate = "" if r["on_time_rate"] is None else round(r["on_time_rate"] * 100)
        rows.append([shown, *[r[c] for c in _COLUMNS], rate, "" if r["median_hours"] is None else r["median_hours"]])
    return rows
