"""A citizen's own case, read for the public lookup: the ticket code plus a second factor (the last
3 digits of the phone number they reported with, or their email) opens it.

The second factor is checked here, inside the query function, so the number and the email never
leave the database layer: the caller gets a `PublicCase` (public fields only) or None. None means
"no such code" and "wrong second factor" alike, and both take the same path: the same statements
run whether the code exists or not, and the factor is compared with hmac.compare_digest against
the stored value or a stand-in that never matches. Only a match reads the rest of the case.
The phone factor matches the number a call came from or the contact number a web report left
(migration 0010); the email factor, the web report's contact email (any case).

The status history is built from the assignments' events (forwarded, more time granted, the
agency's answer or refusal, 1022's review) and the case's closing, each reduced to its kind, time,
agency name and deadline: who at 1022 did it, notes, reasons and comments stay internal.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.agency_models import Agency, Assignment
from db.models import Call, Ticket, TicketEvent
from db.queries.assignments import WITH_AGENCY

# the events that make the public history, and the kind of step each becomes
STEP_EVENTS = ("forward", "reroute", "extension", "agency_answered", "agency_rejected", "review", "callback", "edit")
NEVER = b"\x00never"  # what a missing ticket or number is compared with: no typed factor equals it


@dataclass(frozen=True)
class Proof:
    """What the citizen typed besides the code: 3 digits or an email (one of them)."""
    digits: str = ""
    email: str = ""


@dataclass(frozen=True)
class Step:
    """One public step: received | forwarded | extended | answered | declined | returned | approved |
    resolved | closed."""
    kind: str
    at: datetime
    agency: str | None = None  # the agency's public name
    deadline_at: datetime | None = None  # forwarded / extended: the deadline set


@dataclass(frozen=True)
class Answer:
    agency: str
    answered_at: datetime | None
    text: str  # as the agency wrote it and 1022 approved it: the portal redacts it before showing


@dataclass(frozen=True)
class PublicCase:
    code: str
    channel: str  # phone | web: how the report came in
    field: str | None
    area: str | None
    status: str
    received_at: datetime
    deadline_at: datetime | None  # the earliest deadline of its open assignments (None: none open)
    overdue: bool  # an agency still owes an answer past its deadline
    steps: tuple[Step, ...]
    answers: tuple[Answer, ...]
    private_names: tuple[str, ...]  # the citizen's name(s): for the redaction of free text, never shown


def last_digits(number: str | None, count: int = 3) -> bytes:
    digits = re.sub(r"\D", "", number or "")
    return digits[-count:].encode() if len(digits) >= count else NEVER


def _email_key(email: str | None) -> bytes:
    text = (email or "").strip().lower()
    return hashlib.sha256(text.encode()).digest() if "@" in text else NEVER


def _matches(proof: Proof, phones: tuple[str | None, ...], email: str | None) -> bool:
    """Every comparison runs whatever the outcome, with compare_digest: no early exit to time."""
    typed_digits = proof.digits.encode() if re.fullmatch(r"\d{3}", proof.digits) else b"\x01typed"
    typed_email = _email_key(proof.email) if proof.email else b"\x01typed"
    ok = False
    for number in phones:
        ok |= hmac.compare_digest(typed_digits, last_digits(number))
    ok |= hmac.compare_digest(typed_email, _email_key(email))
    return ok


def find(db: Engine, code: str, proof: Proof, now: datetime) -> PublicCase | None:
    """The case `code` if `proof` matches it, else None (unknown code or wrong factor alike)."""
    with Session(db) as s:
        row = s.execute(select(Ticket.id, Call.caller_number, Ticket.contact_phone, Ticket.contact_email)
                        .outerjoin(Call, Ticket.call_id == Call.id).where(Ticket.code == code)).first()
        if row is None:  # compared all the same, with nothing that can match
            _matches(proof, (None, None), None)
            return None
        if not _matches(proof, (row.caller_number, row.contact_phone), row.contact_email):
            return None
        return _case(s, row.id, now)


def _case(s: Session, ticket_id: int, now: datetime) -> PublicCase:
    t = s.get_one(Ticket, ticket_id)
    call = s.get(Call, t.call_id) if t.call_id is not None else None
    assignments = s.scalars(select(Assignment).where(Assignment.ticket_id == ticket_id)
                            .order_by(Assignment.created_at, Assignment.id)).all()
    events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                 TicketEvent.kind.in_(STEP_EVENTS))
                       .order_by(TicketEvent.at, TicketEvent.id)).all()
    keys = {a.agency for a in assignments} | {str(_detail(e).get("agency") or "") for e in events}
    names = {k: n for k, n in s.execute(select(Agency.key, Agency.name).where(Agency.key.in_(keys)))}
    steps = [Step("received", t.created_at)]
    for e in events:
        step = _step(e.kind, e.at, _detail(e), names)
        if step is not None:
            steps.append(step)
    open_ones = [a for a in assignments if a.processing != "closed"]
    deadline = min((a.deadline_at for a in open_ones), default=None)
    overdue = any(a.processing in WITH_AGENCY and a.deadline_at < now for a in open_ones)
    answers = tuple(Answer(names.get(a.agency, a.agency), a.answered_at, a.answer)
                    for a in sorted(assignments, key=lambda a: a.reviewed_at or a.created_at)
                    if a.review == "approved" and a.answer)
    private = tuple(n for n in (t.caller_name, call.caller_name if call else None) if n)
    return PublicCase(t.code, "web" if t.kind == "web" else "phone", t.field, t.area, t.status, t.created_at,
                      deadline, overdue, tuple(steps), answers, private)


def _detail(e: TicketEvent) -> dict[str, object]:
    try:
        d = json.loads(e.detail or "{}")
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def _moment(value: object) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.replace(tzinfo=None) if at.tzinfo else at  # stored as ISO UTC with a Z


def _step(kind: str, at: datetime, d: dict[str, object], names: dict[str, str]) -> Step | None:
    """An event as a public step, or None for what the public history leaves out (a note's edit, a
    refused extension, a callback attempt that did not close the case)."""
    key = str(d.get("agency") or "")
    agency = names.get(key, key) or None
    if kind in ("forward", "reroute"):
        return Step("forwarded", at, agency, _moment(d.get("deadline_at")))
    if kind == "extension":
        return Step("extended", at, agency, _moment(d.get("deadline_at"))) if d.get("decision") == "grant" else None
    if kind == "agency_answered":
        return Step("answered", at, agency)
    if kind == "agency_rejected":
        return Step("declined", at, agency)
    if kind == "review":
        return Step("approved" if d.get("decision") == "approve" else "returned", at, agency)
    if kind == "callback" and d.get("state") == "done":
        return Step("closed", at)
    if kind == "edit" and d.get("status") in ("resolved", "closed"):
        return Step(str(d["status"]), at)
    return None
