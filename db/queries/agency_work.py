"""The agency's side of an assignment in SQL: its reads, its typed actions, and one-time links.

An agency acts only on its own assignments: every read and write takes the acting agency's key
and refuses another agency's assignment (AgencyWorkError "other_agency", a 403 on the web).
Each action also writes a ticket event, so the ticket's timeline shows who did what and when.
A one-time link is stored as the SHA-256 of its token (like the console's sessions): a stolen
database does not hand out working links. The views never carry a caller's number or a
recording: an agency sees the report, not the call.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.agency_models import AccessLink, Assignment
from db.clock import utcnow

OPEN = ("in_progress", "extension_requested")  # processing states in which the agency still has to act


class AgencyWorkError(ValueError):
    """An agency action refused. `code`: not_found, other_agency, wrong_state, invalid,
    link_unknown, link_expired, link_used; the message says why (in English, for logs)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


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

    @property
    def is_open(self) -> bool:
        return self.processing in OPEN

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now > self.deadline_at

    def as_dict(self, now: datetime) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() + "Z" if t else None
        return {"id": self.id, "ticket": self.ticket_code, "agency": self.agency, "field": self.field,
                "area": self.area, "address": self.address, "summary": self.summary, "note": self.note,
                "created_at": iso(self.created_at), "delivery": self.delivery, "processing": self.processing,
                "reason": self.reason, "suggested_agency": self.suggested_agency,
                "deadline_at": iso(self.deadline_at), "overdue": self.overdue(now), "open": self.is_open,
                "answer": self.answer, "answered_at": iso(self.answered_at), "answered_by": self.answered_by,
                "review": self.review, "review_comment": self.review_comment, "closed_at": iso(self.closed_at),
                "attachments": [a.as_dict() for a in self.attachments]}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- one-time links -------------------------------------------------------------------------

def create_link(db: Engine, assignment_id: int, contact_id: int | None, hours: float,
                now: datetime | None = None) -> str:
    """A new one-time link to one assignment, valid `hours`; returns the token (only its hash is
    kept). The token goes into the notification as {console}/a/{token}."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    with Session(db) as s, s.begin():
        if s.get(Assignment, assignment_id) is None:
            raise AgencyWorkError(f"no assignment {assignment_id}", "not_found")
        s.add(AccessLink(token_hash=_digest(token), assignment_id=assignment_id, contact_id=contact_id,
                         created_at=now, expires_at=now + timedelta(hours=hours)))
    return token


@dataclass(frozen=True)
class LinkUse:
    assignment_id: int
    agency: str
    contact_id: int | None


def use_link(db: Engine, token: str, now: datetime) -> LinkUse:
    """Spend a one-time link: its assignment (id, agency, contact). AgencyWorkError link_unknown,
    link_expired or link_used otherwise. Marked used in the same statement that checks it, so two
    clicks at once cannot both get in."""
    digest = _digest(token)
    with Session(db) as s, s.begin():
        link = s.scalar(select(AccessLink).where(AccessLink.token_hash == digest))
        if link is None:
            raise AgencyWorkError("unknown link", "link_unknown")
        if link.used_at is not None:
            raise AgencyWorkError(f"link of assignment {link.assignment_id} already used", "link_used")
        if now >= link.expires_at:
            raise AgencyWorkError(f"link of assignment {link.assignment_id} expired", "link_expired")
        spent = s.execute(update(AccessLink).where(AccessLink.id == link.id, AccessLink.used_at.is_(None))
                          .values(used_at=now))
        if getattr(spent, "rowcount", 1) != 1:
            raise AgencyWorkError(f"link of assignment {link.assignment_id} already used", "link_used")
        agency = s.scalar(select(Assignment.agency).where(Assignment.id == link.assignment_id))
        return LinkUse(link.assignment_id, agency or "", link.contact_id)


def link_assignment(db: Engine, token: str) -> int | None:
    """The assignment a link (used or not) was issued for, for the audit of a refused use."""
    with Session(db) as s:
        return s.scalar(select(AccessLink.assignment_id).where(AccessLink.token_hash == _digest(token)))
