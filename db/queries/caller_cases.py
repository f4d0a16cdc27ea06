"""A caller's open cases: when a citizen calls 1022 again, the agent sees at once what is still
pending for that number (which agency holds it and by when), before the citizen has to explain.

Open: the ticket's status is neither `closed` nor `resolved`. For each, the open assignment
(not closed) with the earliest deadline names the agency and the deadline; the case is overdue
when an agency still owes one of its assignments past its deadline (as the tickets list says).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.agency_models import Agency, Assignment
from db.models import Call, Ticket
from db.queries.assignments import WITH_AGENCY

DONE = ("closed", "resolved")
SHOWN = 5  # a screen-pop has room for a few; the ticket list has the rest


@dataclass(frozen=True)
class OpenCase:
    code: str
    created_at: datetime
    field: str | None
    status: str
    deadline_at: datetime | None  # the earliest deadline of its open assignments (None: not forwarded)
    agency: str | None  # that assignment's agency: key and name
    agency_name: str | None
    overdue: bool


def in_session(s: Session, number: str | None, besides: str | None, now: datetime,
               limit: int = SHOWN) -> list[OpenCase]:
    """The open cases of calls from `number`, newest first, `limit` at most, leaving out the
    ticket `besides` (the call being answered)."""
    if not number:
        return []
    where = [Call.caller_number == number, Ticket.status.not_in(DONE)]
    if besides is not None:
        where.append(Ticket.code != besides)
    tickets = s.execute(select(Ticket.id, Ticket.code, Ticket.created_at, Ticket.field, Ticket.status)
                        .join(Call, Ticket.call_id == Call.id).where(*where)
                        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)).all()
    pending = s.execute(select(Assignment.ticket_id, Assignment.agency, Assignment.deadline_at,
                               Assignment.processing, Agency.name)
                        .outerjoin(Agency, Agency.key == Assignment.agency)
                        .where(Assignment.ticket_id.in_([t.id for t in tickets]), Assignment.processing != "closed")
                        .order_by(Assignment.deadline_at, Assignment.id)).all()
    out = []
    for t in tickets:
        mine = [a for a in pending if a.ticket_id == t.id]
        first = mine[0] if mine else None
        overdue = any(a.processing in WITH_AGENCY and a.deadline_at < now for a in mine)
        out.append(OpenCase(t.code, t.created_at, t.field, t.status, first.deadline_at if first else None,
                            first.agency if first else None, first.name if first else None, overdue))
    return out


def open_cases(db: Engine, number: str | None, besides: str | None, now: datetime,
               limit: int = SHOWN) -> list[OpenCase]:
    """`in_session` in a session of its own."""
    with Session(db) as s:
        return in_session(s, number, besides, now, limit)
