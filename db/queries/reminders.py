"""Reminders and escalation in SQL: the assignments that may still need one, sending a step once,
and how many assignments are overdue now (the wallboard's figure).

A step (50, 80: reminders; 100: overdue) is written in one transaction: `assignments.reminded`
raised to the step by a conditional UPDATE (only while it is below it, so of two engines, or two
passes, exactly one wins and the other writes nothing), the notifications with their one-time
links (db.queries.assignments.notify_with_links, as a forward's), and a ticket event
("reminder" or "overdue"). Which step is due is agencies.reminders' decision, not this module's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from db.agency_models import Agency, AgencyContact, Assignment
from db.models import Ticket, TicketEvent
from db.queries.assignments import WITH_AGENCY, Recipient, notify_with_links

OVERDUE = 100
# a rejected assignment waits for 1022 to reroute it: its agency is not reminded of it
REMINDED_WHILE = ("in_progress", "extension_requested")


@dataclass(frozen=True)
class Pending:
    """An open assignment whose last step is not yet the overdue one (times naive UTC)."""
    id: int
    code: str
    field: str | None
    area: str | None
    summary: str | None
    agency: str
    agency_name: str
    created_at: datetime
    deadline_at: datetime
    reminded: int


@dataclass(frozen=True)
class Step:
    """One step to send: texts hold "{link}" for each contact's own one-time link."""
    assignment_id: int
    step: int
    at: datetime  # naive UTC
    subject: str
    email: str
    sms: str
    link_base: str
    link_hours: float


def pending(db: Engine, limit: int = 500) -> list[Pending]:
    """Assignments an agency still owes with a step left to send, the nearest deadline first."""
    with Session(db) as s:
        rows = s.execute(select(Assignment, Ticket, Agency.name).join(Ticket, Assignment.ticket_id == Ticket.id)
                         .outerjoin(Agency, Agency.key == Assignment.agency)
                         .where(Assignment.processing.in_(REMINDED_WHILE), Assignment.reminded < OVERDUE)
                         .order_by(Assignment.deadline_at, Assignment.id).limit(limit)).all()
    return [Pending(a.id, t.code, t.field, t.area, t.summary, a.agency, name or a.agency, a.created_at, a.deadline_at,
                    a.reminded) for a, t, name in rows]


def _recipients(s: Session, agency: str, heads_only: bool) -> list[Recipient]:
    contacts = list(s.scalars(select(AgencyContact).where(AgencyContact.agency == agency, AgencyContact.active)
                              .order_by(AgencyContact.id)))
    if heads_only and any(c.head for c in contacts):
        contacts = [c for c in contacts if c.head]  # no head named: every contact is told, not nobody
    return [r for c in contacts for r in ((Recipient("email", c.email, c.id),) if c.email else ())
            + ((Recipient("sms", c.mobile, c.id),) if c.mobile else ())]


def send_step(db: Engine, step: Step) -> int | None:
    """Send `step` for its assignment: the number of notifications queued, or None when it was
    already sent (or a later one was), or the assignment is no longer with its agency."""
    overdue = step.step >= OVERDUE
    with Session(db) as s, s.begin():
        done = s.execute(update(Assignment).where(Assignment.id == step.assignment_id, Assignment.reminded < step.step,
                                                 Assignment.processing.in_(REMINDED_WHILE))
                        .values(reminded=step.step).execution_options(synchronize_session=False))
        if int(getattr(done, "rowcount", 0)) != 1:
            return None
        a = s.get(Assignment, step.assignment_id)
        assert a is not None  # the UPDATE just matched it
        recipients = _recipients(s, a.agency, heads_only=overdue)
        notify_with_links(s, a.ticket_id, a.id, "overdue" if overdue else "reminder", recipients,
                          (step.subject, step.email, step.sms), step.at, step.link_base, step.link_hours)
        detail = {"agency": a.agency, "assignment": a.id, "step": step.step,
                  "deadline_at": a.deadline_at.isoformat() + "Z", "notified": len(recipients)}
        s.add(TicketEvent(ticket_id=a.ticket_id, at=step.at, kind="overdue" if overdue else "reminder",
                          detail=json.dumps(detail, ensure_ascii=False)))
        return len(recipients)


def overdue_count(db: Engine, now: datetime) -> int:
    """Open assignments past their deadline (the agency, or a reroute at 1022, still owes them)."""
    with Session(db) as s:
        return s.scalar(select(func.count(Assignment.id)).where(Assignment.processing.in_(WITH_AGENCY),
                                                                Assignment.deadline_at < now)) or 0
