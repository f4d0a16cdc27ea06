"""What the agencies' statistics are computed from: one plain row per assignment forwarded in a
period, with the ticket's field and whether a reroute replaced it. No figures here
(agencies.statistics counts them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session, aliased

from db.agency_models import Assignment
from db.models import Ticket

MAX_ROWS = 200_000  # a year of a large city's forwards; past this the leader is asked for a shorter period


class TooManyAssignments(ValueError):
    """The period holds more assignments than one report reads."""


@dataclass(frozen=True)
class AssignmentFacts:
    id: int
    agency: str
    field: str | None  # the ticket's
    forwarded_at: datetime  # naive UTC, as stored (the assignment's created_at)
    deadline_at: datetime
    processing: str
    review: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    late: bool | None  # stored when the assignment closed
    replaced: bool  # a reroute put another assignment in its place


def forwarded_between(db: Engine, start: datetime, end: datetime, limit: int = MAX_ROWS) -> list[AssignmentFacts]:
    """Assignments created in [start, end) (naive UTC), oldest first; TooManyAssignments past `limit`."""
    successor = aliased(Assignment)
    replaced = exists().where(successor.replaces == Assignment.id)
    with Session(db) as s:
        rows = s.execute(
            select(Assignment.id, Assignment.agency, Ticket.field, Assignment.created_at, Assignment.deadline_at,
                   Assignment.processing, Assignment.review, Assignment.answered_at, Assignment.closed_at,
                   Assignment.late, replaced)
            .join(Ticket, Assignment.ticket_id == Ticket.id)
            .where(Assignment.created_at >= start, Assignment.created_at < end)
            .order_by(Assignment.created_at, Assignment.id).limit(limit + 1)).all()
    if len(rows) > limit:
        raise TooManyAssignments(f"more than {limit} assignments in this period: choose a shorter one")
    return [AssignmentFacts(r.id, r.agency, r.field, r.created_at, r.deadline_at, r.processing, r.review,
                            r.answered_at, r.closed_at, r.late, bool(r[10])) for r in rows]
