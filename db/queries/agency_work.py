"""The agency's side of an assignment in SQL: its reads and its typed actions.

An agency acts only on its own assignments: every read and write takes the acting agency's key
and refuses another agency's assignment (AgencyWorkError "other_agency", a 403 on the web).
Each action also writes a ticket event, so the ticket's timeline shows who did what and when.
One-time links are in db.queries.agency_links (create_link and use_link are importable from
here too). The views carry a caller's number or a recording only when a 1022 supervisor has
shared it for that assignment (db.queries.agency_shares): an agency sees the report, not the call.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.agency_models import Assignment, Attachment
from db.models import Call, Recording, Ticket
from db.operations import AddEvent, Written
# the one-time links live in agency_links; create_link and use_link stay importable from here
from db.queries.agency_links import LinkError, LinkUse, create_link, use_link
from db.queries.assignments import StatusOf

__all__ = ["AgencyWorkError", "LinkError", "LinkUse", "create_link", "use_link", "AssignmentView", "AttachmentView",
           "NewAttachment", "assignments", "assignment", "attachment", "stats", "acknowledge", "answer", "reject",
           "request_extension", "own", "recording_of"]

OPEN = ("in_progress", "extension_requested")  # processing states in which the agency still has to act
SHARED_KINDS = ("call", "voicemail")  # the citizen's own words; a callback's recording is 1022 calling back


class AgencyWorkError(LinkError):
    """An agency action refused. `code`: not_found, other_agency, wrong_state, invalid; the
    message says why (in English, for logs). A LinkError too, so one `except` covers both."""


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    content_type: str
    bytes: int
    path: str  # relative to the site's attachments folder
    created_at: datetime
    created_by: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "content_type": self.content_type, "bytes": self.bytes,
                "created_at": self.created_at.isoformat() + "Z", "created_by": self.created_by}


@dataclass(frozen=True)
class NewAttachment:
    """A file already checked and written under the attachments folder, to be recorded."""
    filename: str
    content_type: str
    bytes: int
    sha256: str
    path: str


@dataclass(frozen=True)
class AssignmentView:
    id: int
    ticket_code: str
    agency: str
    field: str | None
    area: str | None
    address: str | None
    summary: str | None
    note: str | None
    created_at: datetime
    delivery: str
    processing: str
    reason: str | None
    suggested_agency: str | None
    deadline_at: datetime
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    review: str | None
    review_comment: str | None
    closed_at: datetime | None
    attachments: tuple[AttachmentView, ...] = ()
    extension_until: datetime | None = None  # the deadline the agency proposed with its request
    caller_number: str | None = None  # only once 1022 shared it
    recording_shared: bool = False  # shared by 1022, and a recording is stored

    @property
    def is_open(self) -> bool:
        return self.processing in OPEN

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now > self.deadline_at

    def as_dict(self, now: datetime) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() + "Z" if t else None
        shared: dict[str, Any] = {}  # keys present only when shared: an unshared view never names them
        if self.caller_number:
            shared["caller_number"] = self.caller_number
        if self.recording_shared:
            shared["recording_shared"] = True
        return {**shared, "id": self.id, "ticket": self.ticket_code, "agency": self.agency, "field": self.field,
                "area": self.area, "address": self.address, "summary": self.summary, "note": self.note,
                "created_at": iso(self.created_at), "delivery": self.delivery, "processing": self.processing,
                "reason": self.reason, "suggested_agency": self.suggested_agency,
                "deadline_at": iso(self.deadline_at), "overdue": self.overdue(now), "open": self.is_open,
                "answer": self.answer, "answered_at": iso(self.answered_at), "answered_by": self.answered_by,
                "review": self.review, "review_comment": self.review_comment, "closed_at": iso(self.closed_at),
                "extension_until": iso(self.extension_until), "attachments": [a.as_dict() for a in self.attachments]}


# --- reads ------------------------------------------------------------------------------------

def _attachment(a: Attachment) -> AttachmentView:
    return AttachmentView(a.id, a.filename, a.content_type, a.bytes, a.path, a.created_at, a.created_by)


def recording_of(s: Session, ticket_id: int) -> Recording | None:
    """The ticket's recording an agency may be given: the citizen's call, else their voicemail."""
    found = list(s.scalars(select(Recording).where(Recording.ticket_id == ticket_id, Recording.status != "purged",
                                                   Recording.kind.in_(SHARED_KINDS)).order_by(Recording.id)))
    return next((r for r in found if r.kind == "call"), found[0] if found else None)


def _view(s: Session, a: Assignment, t: Ticket) -> AssignmentView:
    files = tuple(_attachment(f) for f in s.scalars(
        select(Attachment).where(Attachment.assignment_id == a.id).order_by(Attachment.id)))
    number = s.scalar(select(Call.caller_number).where(Call.id == t.call_id)) \
        if a.shared_caller and t.call_id is not None else None
    return AssignmentView(a.id, t.code, a.agency, t.field, t.area, t.address, t.summary, a.note, a.created_at,
                          a.delivery, a.processing, a.reason, a.suggested_agency, a.deadline_at, a.answer,
                          a.answered_at, a.answered_by, a.review, a.review_comment, a.closed_at, files,
                          a.extension_until, number or None,
                          bool(a.shared_recording) and recording_of(s, t.id) is not None)


def assignments(db: Engine, agency: str, closed_limit: int = 20) -> list[AssignmentView]:
    """The agency's open assignments, oldest deadline first, then its `closed_limit` most recent
    others (answered, rejected, closed)."""
    with Session(db) as s:
        q = select(Assignment, Ticket).join(Ticket, Ticket.id == Assignment.ticket_id).where(
            Assignment.agency == agency)
        open_rows = s.execute(q.where(Assignment.processing.in_(OPEN))
                              .order_by(Assignment.deadline_at, Assignment.id)).all()
        done = s.execute(q.where(Assignment.processing.not_in(OPEN))
                         .order_by(Assignment.answered_at.desc(), Assignment.id.desc()).limit(closed_limit)).all()
        return [_view(s, a, t) for a, t in [*open_rows, *done]]


def own(s: Session, agency: str, assignment_id: int) -> tuple[Assignment, Ticket]:
    """The assignment and its ticket, if it is this agency's (not_found / other_agency otherwise)."""
    row = s.execute(select(Assignment, Ticket).join(Ticket, Ticket.id == Assignment.ticket_id)
                    .where(Assignment.id == assignment_id)).first()
    if row is None:
        raise AgencyWorkError(f"no assignment {assignment_id}", "not_found")
    if row[0].agency != agency:
        raise AgencyWorkError(f"assignment {assignment_id} is not for agency {agency!r}", "other_agency")
    return row[0], row[1]


def assignment(db: Engine, agency: str, assignment_id: int) -> AssignmentView:
    """One of the agency's assignments (not_found / other_agency otherwise)."""
    with Session(db) as s:
        return _view(s, *own(s, agency, assignment_id))


def attachment(db: Engine, agency: str, assignment_id: int, attachment_id: int) -> AttachmentView:
    """A file of one of the agency's assignments: another agency never gets it."""
    with Session(db) as s:
        own(s, agency, assignment_id)
        f = s.get(Attachment, attachment_id)
        if f is None or f.assignment_id != assignment_id:
            raise AgencyWorkError(f"no attachment {attachment_id}", "not_found")
        return _attachment(f)


def stats(db: Engine, agency: str, now: datetime) -> dict[str, int]:
    """The agency's counts: open, overdue (open past the deadline), answered on time / late
    (answered, its answer time against the deadline), rejected."""
    with Session(db) as s:
        rows = s.execute(select(Assignment.processing, Assignment.deadline_at, Assignment.answered_at)
                         .where(Assignment.agency == agency)).all()
    out = {"open": 0, "overdue": 0, "answered_on_time": 0, "answered_late": 0, "rejected": 0}
    for processing, deadline, answered in rows:
        if processing in OPEN:
            out["open"] += 1
            out["overdue"] += now > deadline
        elif answered is not None:
            out["answered_late" if answered > deadline else "answered_on_time"] += 1
        elif processing == "rejected":
            out["rejected"] += 1
    return out


# --- actions ----------------------------------------------------------------------------------

def _open(a: Assignment, action: str) -> None:
    if a.processing not in OPEN:
        raise AgencyWorkError(f"assignment {a.id} is {a.processing}: cannot {action}", "wrong_state")


def _event(s: Session, t: Ticket, now: datetime, kind: str, detail: dict[str, Any]) -> None:
    AddEvent(t.code, now, kind, detail).apply(s, Written())


def _text(value: str, what: str, limit: int = 4000) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise AgencyWorkError(f"{what}: 1-{limit} characters", "invalid")
    return value


def acknowledge(db: Engine, agency: str, assignment_id: int, actor: str, now: datetime) -> None:
    """The agency has received the assignment (delivery -> acknowledged); again is harmless."""
    with Session(db) as s, s.begin():
        a, t = own(s, agency, assignment_id)
        _open(a, "acknowledge")
        if a.delivery == "acknowledged":
            return
        a.delivery = "acknowledged"
        _event(s, t, now, "agency_acknowledged", {"assignment": a.id, "agency": agency, "by": actor})


def answer(db: Engine, agency: str, assignment_id: int, actor: str, text: str, files: Sequence[NewAttachment],
           now: datetime, status_of: StatusOf | None = None) -> None:
    """The agency's answer: processing -> answered, review -> pending (a 1022 supervisor reviews
    it), with its attachments' rows. An answer also acknowledges receipt."""
    text = _text(text, "answer")
    with Session(db) as s, s.begin():
        a, t = own(s, agency, assignment_id)
        _open(a, "answer")
        a.processing, a.review, a.answer, a.answered_at, a.answered_by = "answered", "pending", text, now, actor
        a.review_comment = None
        a.delivery = "acknowledged"
        for f in files:
            s.add(Attachment(assignment_id=a.id, filename=f.filename, content_type=f.content_type, bytes=f.bytes,
                             sha256=f.sha256, path=f.path, created_at=now, created_by=actor))
        _event(s, t, now, "agency_answered", {"assignment": a.id, "agency": agency, "by": actor,
                                              "late": now > a.deadline_at, "files": [f.filename for f in files]})
        if status_of is not None:  # the ticket's status follows its assignments: `answered` once all have answered
            s.flush()
            status = status_of([(p, r) for p, r in s.execute(select(Assignment.processing, Assignment.review)
                                                             .where(Assignment.ticket_id == t.id))])
            t.status = status or t.status


def reject(db: Engine, agency: str, assignment_id: int, actor: str, reason: str, suggested_agency: str | None,
           now: datetime) -> None:
    """Not this agency's responsibility: processing -> rejected, with the reason and the agency it
    suggests (1022 re-routes)."""
    reason = _text(reason, "reason")
    suggested = (suggested_agency or "").strip() or None
    if suggested is not None and (len(suggested) > 32 or suggested == agency):
        raise AgencyWorkError("suggested agency: another agency's key", "invalid")
    with Session(db) as s, s.begin():
        a, t = own(s, agency, assignment_id)
        _open(a, "reject")
        a.processing, a.reason, a.suggested_agency, a.delivery = "rejected", reason, suggested, "acknowledged"
        _event(s, t, now, "agency_rejected", {"assignment": a.id, "agency": agency, "by": actor, "reason": reason,
                                              "suggested_agency": suggested})


def request_extension(db: Engine, agency: str, assignment_id: int, actor: str, reason: str,
                      until: datetime | None, now: datetime) -> None:
    """More time asked, with a reason (and the date hoped for): processing -> extension_requested.
    The deadline moves only if 1022 grants it."""
    reason = _text(reason, "reason")
    if until is not None and until <= now:
        raise AgencyWorkError("until: a time in the future", "invalid")
    with Session(db) as s, s.begin():
        a, t = own(s, agency, assignment_id)
        _open(a, "ask for more time")
        a.processing, a.reason, a.delivery = "extension_requested", reason, "acknowledged"
        a.extension_until = until
        _event(s, t, now, "agency_more_time", {
            "assignment": a.id, "agency": agency, "by": actor, "reason": reason,
            "until": until.isoformat() + "Z" if until else None})
