"""What 1022 grants an agency on one assignment, in SQL: a share of the call (its recording, the
caller's number), and more time (or a refusal of it).

An agency never hears the call nor sees the caller's number unless a 1022 supervisor shares it,
one assignment at a time (`assignments.shared_recording` / `shared_caller`, revocable). Each
share and unshare is a ticket event and an audit row, written in one transaction. The agency's
reads (`shared_recording`, `shared_caller`) refuse with AgencyWorkError "not_shared" (a 403)
whatever else holds, and "other_agency" for another agency's assignment.

A decision on a request for more time (`decide_extension`) moves the deadline (granted: the date
the agency proposed or the one 1022 sets; `reminded` back to the step already passed under the
new deadline, so the 50/80/100 % steps count again against it and none goes out at once) or keeps
it (refused, with a comment); either way the case is back in progress, a ticket event says so,
and the agency's contacts are emailed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.agency_models import Assignment
from db.models import Audit, Call, Ticket, TicketEvent
from db.queries.agency_work import AgencyWorkError, own, recording_of
from db.queries.assignments import AssignmentError, Recipient, notify_with_links

SHARES = ("recording", "caller")
DECISIONS = ("grant", "refuse")


@dataclass(frozen=True)
class SharedRecording:
    id: int
    kind: str
    path: str  # relative to the recordings store
    status: str  # ok | flagged | purged


@dataclass(frozen=True)
class Decision:
    """A supervisor's answer to a request for more time. `until` (naive UTC) is the new deadline
    of a grant; the texts (subject, email body, SMS body; "{link}" is each contact's one-time
    link) are what the agency's `recipients` are sent."""
    assignment_id: int
    decision: str  # grant | refuse
    until: datetime | None
    comment: str
    by: str
    at: datetime
    texts: tuple[str, str, str]
    recipients: tuple[Recipient, ...]
    link_base: str
    link_hours: float
    reminded: int = 0  # a grant: the reminder step already passed under the new deadline (none is resent)


def _event(s: Session, ticket_id: int, at: datetime, kind: str, detail: dict[str, Any]) -> None:
    s.add(TicketEvent(ticket_id=ticket_id, at=at, kind=kind, detail=json.dumps(detail, ensure_ascii=False)))


def _assignment(s: Session, assignment_id: int) -> tuple[Assignment, Ticket]:
    a = s.get(Assignment, assignment_id)
    ticket = s.get(Ticket, a.ticket_id) if a is not None else None
    if a is None or ticket is None:
        raise AssignmentError(f"no assignment {assignment_id}", "not_found")
    return a, ticket


def share(db: Engine, assignment_id: int, what: str, shared: bool, by: str, at: datetime) -> bool:
    """Share (or stop sharing) the call's recording or the caller's number with the assignment's
    agency. Returns whether anything changed (the same share twice writes nothing)."""
    if what not in SHARES:
        raise ValueError(what)
    column = "shared_recording" if what == "recording" else "shared_caller"
    with Session(db) as s, s.begin():
        a, ticket = _assignment(s, assignment_id)
        if bool(getattr(a, column)) == shared:
            return False
        setattr(a, column, shared)
        detail = {"assignment": a.id, "agency": a.agency, "what": what, "shared": shared, "by": by}
        _event(s, ticket.id, at, "share", detail)
        s.add(Audit(at=at, actor=by, action="agency_share" if shared else "agency_unshare",
                    target=f"assignment:{a.id}", detail=json.dumps({**detail, "ticket": ticket.code},
                                                                   ensure_ascii=False)))
        return True


def shared_recording(db: Engine, agency: str, assignment_id: int) -> SharedRecording:
    """The recording 1022 shared with this agency for this assignment (not_shared, no_recording)."""
    with Session(db) as s:
        a, t = own(s, agency, assignment_id)
        if not a.shared_recording:
            raise AgencyWorkError(f"the recording of assignment {a.id} is not shared", "not_shared")
        rec = recording_of(s, t.id)
        if rec is None:
            raise AgencyWorkError(f"ticket {t.code} has no stored recording", "no_recording")
        return SharedRecording(rec.id, rec.kind, rec.path, rec.status)


def shared_caller(db: Engine, agency: str, assignment_id: int) -> str:
    """The caller's number, once 1022 shared it with this agency (not_shared, no_number)."""
    with Session(db) as s:
        a, t = own(s, agency, assignment_id)
        if not a.shared_caller:
            raise AgencyWorkError(f"the caller's number of assignment {a.id} is not shared", "not_shared")
        number = s.scalar(select(Call.caller_number).where(Call.id == t.call_id)) if t.call_id else None
        if not number:
            raise AgencyWorkError(f"ticket {t.code} has no caller number", "no_number")
        return number


def decide_extension(db: Engine, d: Decision) -> str:
    """Grant (the deadline moves to `d.until`, reminders start over) or refuse (the deadline
    stays) a request for more time; returns the ticket's code. Refused with AssignmentError
    not_found, or no_request when the agency has not asked (or 1022 already decided)."""
    if d.decision not in DECISIONS:
        raise ValueError(d.decision)
    if d.decision == "grant" and (d.until is None or d.until <= d.at):
        raise AssignmentError("until: a new deadline in the future", "bad_until")
    with Session(db) as s, s.begin():
        a, ticket = _assignment(s, d.assignment_id)
        if a.processing != "extension_requested":
            raise AssignmentError(f"assignment {a.id} is {a.processing}: no request for more time", "no_request")
        before = a.deadline_at
        if d.decision == "grant" and d.until is not None:
            a.deadline_at, a.reminded = d.until, d.reminded
        a.processing, a.extension_until, a.reason = "in_progress", None, None  # the event keeps the reason
        notify_with_links(s, ticket.id, a.id, "extension", d.recipients, d.texts, d.at, d.link_base, d.link_hours)
        _event(s, ticket.id, d.at, "extension", {
            "assignment": a.id, "agency": a.agency, "decision": d.decision, "by": d.by, "comment": d.comment or None,
            "before": before.isoformat() + "Z", "deadline_at": a.deadline_at.isoformat() + "Z",
            "notified": len(d.recipients)})
        return ticket.code
