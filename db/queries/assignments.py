"""Assignments in SQL, from the 1022 side: forward a ticket to agencies, reroute after a rejection,
review an answer; and the reads of a ticket's assignments and of the open ones by deadline.

Each write is one transaction: the assignment rows, a ticket event per step, the ticket's
status, the one-time links and the notifications (email and SMS rows in the outbox) are all
written, or none is. The ticket's status rule is the caller's (`status_of`, given the
(processing, review) of every assignment of the ticket: agencies.forwarding.ticket_status), so
this module keeps to SQL. A one-time link is stored as the SHA-256 of its token, as
db.queries.agency_work reads it; the token itself only travels in the notification.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.agency_models import Assignment, Notification
from db.models import Call, Callback, Ticket, TicketEvent
from db.queries.agency_links import add_link

StatusOf = Callable[[list[tuple[str, str | None]]], str | None]
WITH_AGENCY = ("in_progress", "extension_requested", "rejected")  # the agency (or a reroute) must act
DELIVERY_NO_CONTACT = "no active contact with an email address or a mobile number"


class AssignmentError(ValueError):
    """A write refused: `code` is not_found, already_forwarded, not_rejected or not_answered."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Recipient:
    channel: str  # email | sms
    address: str
    contact_id: int | None


@dataclass(frozen=True)
class Target:
    """One agency of a forward: its deadline (naive UTC) and what its contacts are sent
    ("{link}" in the texts becomes each contact's own one-time link)."""
    agency: str
    deadline_at: datetime
    subject: str
    email: str
    sms: str
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class Forward:
    code: str
    by: str
    note: str
    at: datetime  # naive UTC
    targets: tuple[Target, ...]
    link_base: str  # e.g. http://1022.example.vn/a/ : the token is appended
    link_hours: float


@dataclass(frozen=True)
class Reviewed:
    code: str
    decision: str
    status: str  # the ticket's, after the review
    reply: str | None  # callback | sms | None (not yet: other answers pending, or no number to reply to)


@dataclass(frozen=True)
class AssignmentRow:
    id: int
    ticket: str
    agency: str
    note: str | None
    created_at: datetime
    created_by: str
    delivery: str
    delivery_reason: str | None
    processing: str
    reason: str | None
    suggested_agency: str | None
    deadline_at: datetime
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
    shared_recording: bool = False  # what 1022 shared with the agency (db.queries.agency_shares)
    shared_caller: bool = False
    extension_until: datetime | None = None  # the deadline the agency proposed when it asked for more time

    def overdue(self, now: datetime) -> bool:
        return self.processing in WITH_AGENCY and now > self.deadline_at

    def as_dict(self, now: datetime) -> dict[str, Any]:
        out: dict[str, Any] = {k: (v.isoformat() + "Z" if isinstance(v, datetime) else v)
                               for k, v in self.__dict__.items()}
        out["overdue"] = self.overdue(now)
        return out


def late(answered_at: datetime | None, deadline_at: datetime, closed_at: datetime) -> bool:
    """Late if the answer came after the deadline (no answer: the closing counts). Stored when the
    assignment closes, so statistics never change later."""
    return (answered_at or closed_at) > deadline_at


def _row(a: Assignment, code: str) -> AssignmentRow:
    return AssignmentRow(a.id, code, a.agency, a.note, a.created_at, a.created_by, a.delivery, a.delivery_reason,
                         a.processing, a.reason, a.suggested_agency, a.deadline_at, a.answer, a.answered_at,
                         a.answered_by, a.review, a.reviewed_by, a.reviewed_at, a.review_comment, a.closed_at,
                         a.late, a.replaces, bool(a.shared_recording), bool(a.shared_caller), a.extension_until)


def _rows(db: Engine, *where: Any, order: Any = Assignment.id, limit: int | None = None) -> list[AssignmentRow]:
    with Session(db) as s:
        found = s.execute(select(Assignment, Ticket.code).join(Ticket, Assignment.ticket_id == Ticket.id)
                          .where(*where).order_by(order, Assignment.id).limit(limit)).all()
    return [_row(a, code) for a, code in found]


def of_ticket(db: Engine, code: str) -> list[AssignmentRow]:
    """The ticket's assignments, oldest first (rerouted ones too: the history is kept)."""
    return _rows(db, Ticket.code == code)


def get(db: Engine, assignment_id: int) -> AssignmentRow | None:
    return next(iter(_rows(db, Assignment.id == assignment_id)), None)


def open_by_deadline(db: Engine, limit: int = 500) -> list[AssignmentRow]:
    """Assignments an agency (or a reroute) still owes, the nearest deadline first."""
    return _rows(db, Assignment.processing.in_(WITH_AGENCY), order=Assignment.deadline_at, limit=limit)


def _event(s: Session, ticket: Ticket, at: datetime, kind: str, detail: dict[str, Any]) -> None:
    s.add(TicketEvent(ticket_id=ticket.id, at=at, kind=kind, detail=json.dumps(detail, ensure_ascii=False)))


def _restatus(s: Session, ticket: Ticket, status_of: StatusOf) -> str:
    s.flush()
    pairs = [(p, r) for p, r in s.execute(select(Assignment.processing, Assignment.review)
                                          .where(Assignment.ticket_id == ticket.id))]
    status = status_of(pairs)
    if status is not None:
        ticket.status = status
    return ticket.status


def notify_with_links(s: Session, ticket_id: int, assignment_id: int, purpose: str, recipients: Sequence[Recipient],
                      texts: tuple[str, str, str], at: datetime, link_base: str, link_hours: float) -> None:
    """Queue an email or SMS to each recipient, each with its own one-time link to the assignment
    ("{link}" in the texts: (subject, email body, SMS body)), in the caller's transaction."""
    subject, email, sms = texts
    for r in recipients:
        token = add_link(s, assignment_id, r.contact_id, link_hours, at)
        body = (email if r.channel == "email" else sms).replace("{link}", link_base + token)
        s.add(Notification(created_at=at, ticket_id=ticket_id, assignment_id=assignment_id, purpose=purpose,
                           channel=r.channel, recipient=r.address, subject=subject if r.channel == "email" else None,
                           body=body, state="queued", attempts=0, next_try_at=at))


def _add(s: Session, ticket: Ticket, f: Forward, t: Target, kind: str, extra: dict[str, Any]) -> int:
    """One assignment, its event, its contacts' links and notifications."""
    taken = s.scalar(select(Assignment.id).where(Assignment.ticket_id == ticket.id, Assignment.agency == t.agency,
                                                 Assignment.processing != "closed"))
    if taken is not None:
        raise AssignmentError(f"ticket {ticket.code} is already with agency {t.agency!r}", "already_forwarded")
    a = Assignment(ticket_id=ticket.id, agency=t.agency, note=f.note or None, created_at=f.at, created_by=f.by,
                   delivery="queued" if t.recipients else "failed",
                   delivery_reason=None if t.recipients else DELIVERY_NO_CONTACT, processing="in_progress",
                   deadline_at=t.deadline_at, reminded=0, **extra)
    s.add(a)
    s.flush()
    notify_with_links(s, ticket.id, a.id, "assignment", t.recipients, (t.subject, t.email, t.sms), f.at,
                      f.link_base, f.link_hours)
    _event(s, ticket, f.at, kind, {"agency": t.agency, "assignment": a.id, "by": f.by, "note": f.note or None,
                                   "deadline_at": t.deadline_at.isoformat() + "Z",
                                   "notified": len(t.recipients), **extra})
    return a.id


def _ticket(s: Session, code: str) -> Ticket:
    ticket = s.scalar(select(Ticket).where(Ticket.code == code))
    if ticket is None:
        raise AssignmentError(f"no ticket {code}", "not_found")
    return ticket


def forward(db: Engine, f: Forward, status_of: StatusOf) -> list[int]:
    """Forward the ticket to every target at once (their assignment ids), or write nothing."""
    with Session(db) as s, s.begin():
        ticket = _ticket(s, f.code)
        ids = [_add(s, ticket, f, t, "forward", {}) for t in f.targets]
        _restatus(s, ticket, status_of)
        return ids


def _assignment(s: Session, assignment_id: int) -> tuple[Assignment, Ticket]:
    a = s.get(Assignment, assignment_id)
    ticket = s.get(Ticket, a.ticket_id) if a is not None else None
    if a is None or ticket is None:
        raise AssignmentError(f"no assignment {assignment_id}", "not_found")
    return a, ticket


def reroute(db: Engine, assignment_id: int, f: Forward, status_of: StatusOf) -> int:
    """Close a rejected assignment and forward to `f`'s one target in its place (`replaces`): one
    action, both rows kept. The closed one carries no `late` flag: its successor is the one counted."""
    with Session(db) as s, s.begin():
        old, ticket = _assignment(s, assignment_id)
        if old.processing != "rejected":
            raise AssignmentError(f"assignment {assignment_id} is {old.processing}, not rejected", "not_rejected")
        old.processing, old.closed_at = "closed", f.at
        new_id = _add(s, ticket, f, f.targets[0], "reroute", {"replaces": old.id})
        _restatus(s, ticket, status_of)
        return new_id


def review(db: Engine, assignment_id: int, decision: str, comment: str, by: str, at: datetime,
           status_of: StatusOf, reply_sms: Callable[[str], str]) -> Reviewed:
    """Approve an answer (the assignment closes, `late` stored) or return it to the agency with a
    comment. When the approval resolves the ticket, the citizen's reply is created in the same
    transaction, as the ticket asks (`reply_by`): an SMS (`reply_sms` of the approved answers) or,
    by default, a callback task for an agent (none added if one is already waiting)."""
    if decision not in ("approve", "return"):
        raise ValueError(decision)
    with Session(db) as s, s.begin():
        a, ticket = _assignment(s, assignment_id)
        if a.processing != "answered":
            raise AssignmentError(f"assignment {assignment_id} is {a.processing}: no answer to review",
                                  "not_answered")
        a.reviewed_by, a.reviewed_at, a.review_comment = by, at, comment or None
        if decision == "approve":
            a.review, a.processing, a.closed_at = "approved", "closed", at
            a.late = late(a.answered_at, a.deadline_at, at)
        else:
            a.review, a.processing = "returned", "in_progress"
        _event(s, ticket, at, "review", {"assignment": a.id, "agency": a.agency, "decision": decision,
                                         "comment": comment or None, "by": by})
        status = _restatus(s, ticket, status_of)
        reply = _reply(s, ticket, at, reply_sms) if decision == "approve" and status == "resolved" else None
        return Reviewed(ticket.code, decision, status, reply)


def _reply(s: Session, ticket: Ticket, at: datetime, reply_sms: Callable[[str], str]) -> str | None:
    call = s.get(Call, ticket.call_id) if ticket.call_id is not None else None
    # a call's number; a report from the portal or Open311: the contact the citizen agreed to be told at
    number = call.caller_number if call is not None else (ticket.contact_phone if ticket.consent else None)
    email = ticket.contact_email if call is None and ticket.consent else None
    answers = [x for x in s.scalars(select(Assignment.answer).where(
        Assignment.ticket_id == ticket.id, Assignment.review == "approved", Assignment.processing == "closed")) if x]
    if not number and email:
        n = Notification(created_at=at, ticket_id=ticket.id, purpose="reply", channel="email", recipient=email,
                         subject=f"Kết quả xử lý phản ánh {ticket.code}", body=reply_sms(" ".join(answers)),
                         state="queued", attempts=0, next_try_at=at)
        s.add(n)
        s.flush()
        _event(s, ticket, at, "reply", {"by": "email", "notification": n.id})
        return "email"
    if not number:
        _event(s, ticket, at, "reply", {"by": None, "reason": "no caller number"})
        return None
    if ticket.reply_by == "sms":
        n = Notification(created_at=at, ticket_id=ticket.id, purpose="reply", channel="sms", recipient=number,
                         body=reply_sms(" ".join(answers)), state="queued", attempts=0, next_try_at=at)
        s.add(n)
        s.flush()
        _event(s, ticket, at, "reply", {"by": "sms", "notification": n.id})
        return "sms"
    waiting = s.scalar(select(Callback.id).where(Callback.ticket_id == ticket.id,
                                                 Callback.state.in_(("pending", "claimed"))))
    if waiting is None:
        cb = Callback(ticket_id=ticket.id, number=number, language=call.language if call else "vi", queued_at=at,
                      due_at=at, attempts=0, state="pending", updated_at=at)
        s.add(cb)
        s.flush()
        waiting = cb.id
    _event(s, ticket, at, "reply", {"by": "callback", "callback": waiting})
    return "callback"


def sequence_of(rows: Sequence[AssignmentRow]) -> list[tuple[str, str | None]]:
    """(processing, review) of each row, as `status_of` takes them."""
    return [(r.processing, r.review) for r in rows]
