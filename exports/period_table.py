"""The columns of a period's export and each row's values, shared by the XLSX and CSV writers.

Headers and the names of codes (status, field, area, processing...) come from the caller's
catalog (`names`: the console's words in the reader's language), so this module holds no
language. Times leave as naive datetimes in the site's zone (Excel has no time zones): the XLSX
writer formats them as dates, the CSV writer as dd/mm/yyyy HH:mm.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from db.queries.exports import ExportAssignment, ExportTicket

Names = Mapping[str, str]

# (catalog key of the header, column width in characters)
TICKET_COLUMNS: tuple[tuple[str, int], ...] = (
    ("export.col.code", 18), ("export.col.created_at", 17), ("export.col.closed_at", 17), ("export.col.kind", 16),
    ("export.col.field", 22), ("export.col.area", 20), ("export.col.address", 28), ("export.col.status", 20),
    ("export.col.priority", 8), ("export.col.summary", 50), ("export.col.map_point", 22),
    ("export.col.caller_number", 14), ("export.col.caller_name", 20), ("export.col.agent", 10),
    ("export.col.queue", 14), ("export.col.outcome", 18), ("export.col.reply_by", 14), ("export.col.events", 10),
    ("export.col.forwarded_at", 17), ("export.col.agency_answered_at", 17), ("export.col.replied_at", 17),
    ("export.col.last_event_at", 17))
ASSIGNMENT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("export.col.code", 18), ("export.col.assignment", 8), ("export.col.agency", 34),
    ("export.col.assigned_at", 17), ("export.col.assigned_by", 12), ("export.col.note", 28),
    ("export.col.delivery", 16), ("export.col.delivery_reason", 24), ("export.col.processing", 22),
    ("export.col.reason", 28), ("export.col.suggested_agency", 28), ("export.col.deadline_at", 17),
    ("export.col.overdue", 10), ("export.col.answered_at", 17), ("export.col.answered_by", 12),
    ("export.col.answer", 50), ("export.col.review", 14), ("export.col.reviewed_by", 12),
    ("export.col.reviewed_at", 17), ("export.col.review_comment", 28), ("export.col.closed_at_assignment", 17),
    ("export.col.late", 10), ("export.col.replaces", 10))


def headers(columns: tuple[tuple[str, int], ...], names: Names) -> list[str]:
    return [names.get(key, key) for key, _ in columns]


def local(at: datetime | None, tz: str) -> datetime | None:
    """A stored time (naive UTC) as the site's wall-clock time, naive (what a spreadsheet shows)."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _name(names: Names, group: str, code: str | None) -> str | None:
    return None if code is None or code == "" else names.get(f"{group}.{code}", code)


def _yes(names: Names, value: bool | None) -> str | None:
    return None if value is None else names.get("export.yes" if value else "export.no", str(value))


def ticket_values(t: ExportTicket, names: Names, tz: str) -> list[Any]:
    return [t.code, local(t.created_at, tz), local(t.closed_at, tz), _name(names, "kind", t.kind),
            _name(names, "field", t.field), _name(names, "area", t.area), t.address, _name(names, "status", t.status),
            t.priority, t.summary, t.map_point, t.caller_number, t.caller_name, t.agent, _name(names, "queue", t.queue),
            _name(names, "outcome", t.outcome), _name(names, "export.reply_by", t.reply_by), t.events,
            local(t.forwarded_at, tz), local(t.answered_at, tz), local(t.replied_at, tz), local(t.last_event_at, tz)]


def assignment_values(a: ExportAssignment, names: Names, tz: str) -> list[Any]:
    return [a.ticket, a.id, a.agency_name, local(a.created_at, tz), a.created_by, a.note,
            _name(names, "fwd.delivery", a.delivery), a.delivery_reason, _name(names, "fwd.processing", a.processing),
            a.reason, _name(names, "agency", a.suggested_agency), local(a.deadline_at, tz), _yes(names, a.overdue),
            local(a.answered_at, tz), a.answered_by, a.answer, _name(names, "export.review", a.review), a.reviewed_by,
            local(a.reviewed_at, tz), a.review_comment, local(a.closed_at, tz), _yes(names, a.late), a.replaces]
