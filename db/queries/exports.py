"""The read side of the bulk exports: a period's tickets with their assignments and the milestones
of their timelines, in batches of tickets (keyset on the ticket id), so a year of tickets is
written without holding it in memory. Dates are naive UTC, as stored."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.agency_models import Agency, Assignment
from db.models import Call, Ticket, TicketEvent
from db.queries.assignments import WITH_AGENCY

__all__ = ["ExportTicket", "ExportAssignment", "ExportBatch", "count_period", "period_batches"]


@dataclass(frozen=True)
class ExportTicket:
    id: int
    code: str
    created_at: datetime
    closed_at: datetime | None
    kind: str | None
    field: str | None
    area: str | None
    address: str | None
    status: str
    priority: int
    summary: str | None
    caller_number: str | None
    caller_name: str | None
    agent: str | None
    queue: str | None
    outcome: str | None
    reply_by: str | None
    # the timeline's milestones: how many steps, the first forward, the first agency answer, the
    # reply to the citizen and the last step of any kind
    events: int
    forwarded_at: datetime | None
    answered_at: datetime | None
    replied_at: datetime | None
    last_event_at: datetime | None
    map_point: str | None = None  # "lat,lon" as stored (last: rows built by position stay valid)


@dataclass(frozen=True)
class ExportAssignment:
    id: int
    ticket: str  # its ticket's code
    agency: str
    agency_name: str
    created_at: datetime
    created_by: str
    note: str | None
    delivery: str
    delivery_reason: str | None
    processing: str
    reason: str | None
    suggested_agency: str | None
    deadline_at: datetime
    overdue: bool  # still with the agency past its deadline, at the time of the export
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    review: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    closed_at: datetime | None
    late: bool | None
    replaces: int | None


@dataclass(frozen=True)
class ExportBatch:
    tickets: list[ExportTicket]
    assignments: list[ExportAssignment]  # of these tickets, by ticket then oldest first


def count_period(db: Engine, start: datetime, end: datetime) -> int:
    """How many tickets were created in [start, end)."""
    with Session(db) as s:
        return s.scalar(select(func.count(Ticket.id)).where(Ticket.created_at >= start, Ticket.created_at < end)) or 0


def _milestones(s: Session, ids: list[int]) -> dict[int, dict[str, tuple[datetime, datetime, int]]]:
    """Per ticket, per event kind: the first and last time and how many."""
    out: dict[int, dict[str, tuple[datetime, datetime, int]]] = {}
    rows = s.execute(select(TicketEvent.ticket_id, TicketEvent.kind, func.min(TicketEvent.at),
                            func.max(TicketEvent.at), func.count(TicketEvent.id))
                     .where(TicketEvent.ticket_id.in_(ids)).group_by(TicketEvent.ticket_id, TicketEvent.kind))
    for tid, kind, first, last, n in rows:
        out.setdefault(tid, {})[kind] = (first, last, n)
    return out


def _first(kinds: dict[str, tuple[datetime, datetime, int]], *names: str) -> datetime | None:
    found = [kinds[k][0] for k in names if k in kinds]
    return min(found) if found else None


def period_batches(db: Engine, start: datetime, end: datetime, now: datetime,
                   size: int = 500) -> Iterator[ExportBatch]:
    """The tickets created in [start, end), oldest first, `size` at a time, each batch with the
    assignments of its tickets. One short session per batch: no transaction stays open while
    the caller writes the file."""
    after = 0
    while True:
        with Session(db) as s:
            rows = s.execute(select(Ticket, Call.caller_number).outerjoin(Call, Ticket.call_id == Call.id)
                             .where(Ticket.created_at >= start, Ticket.created_at < end, Ticket.id > after)
                             .order_by(Ticket.id).limit(size)).all()
            if not rows:
                return
            ids = [t.id for t, _ in rows]
            marks = _milestones(s, ids)
            names = {key: name for key, name in s.execute(select(Agency.key, Agency.name))}
            found = s.execute(select(Assignment, Ticket.code).join(Ticket, Assignment.ticket_id == Ticket.id)
                              .where(Assignment.ticket_id.in_(ids))
                              .order_by(Assignment.ticket_id, Assignment.id)).all()
        tickets = []
        for t, number in rows:
            kinds = marks.get(t.id, {})
            tickets.append(ExportTicket(
                t.id, t.code, t.created_at, t.closed_at, t.kind, t.field, t.area, t.address, t.status, t.priority,
                t.summary, number, t.caller_name, t.agent, t.queue, t.outcome, t.reply_by,
                sum(n for _, _, n in kinds.values()), _first(kinds, "forward", "reroute"),
                _first(kinds, "agency_answered"), _first(kinds, "reply"),
                max((last for _, last, _ in kinds.values()), default=None), t.map_point))
        assignments = [ExportAssignment(
            a.id, code, a.agency, names.get(a.agency, a.agency), a.created_at, a.created_by, a.note, a.delivery,
            a.delivery_reason, a.processing, a.reason, a.suggested_agency, a.deadline_at,
            a.processing in WITH_AGENCY and now > a.deadline_at, a.answer, a.answered_at, a.answered_by, a.review,
            a.reviewed_by, a.reviewed_at, a.review_comment, a.closed_at, a.late, a.replaces) for a, code in found]
        yield ExportBatch(tickets, assignments)
        after = ids[-1]
