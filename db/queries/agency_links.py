"""One-time links to an assignment, and the short sessions they open, in SQL.

A link is stored as the SHA-256 of its token (like the console's sessions): a stolen database
does not hand out working links. It is spent once, in the statement that checks it, and only
until it expires. The session a spent link opens is one more access_links row for the same
assignment, under another hash (see open_link_session).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.agency_models import AccessLink, AgencyContact, Assignment
from db.clock import utcnow


class LinkError(ValueError):
    """A link refused: `code` link_unknown, link_expired or link_used; or not_found."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_link(s: Session, assignment_id: int, contact_id: int | None, hours: float, now: datetime) -> str:
    """A new one-time link to one assignment, valid `hours`, in the caller's transaction; returns the
    token (only its hash is kept). The token goes into the notification as {console}/a/{token}."""
    token = secrets.token_urlsafe(32)
    s.add(AccessLink(token_hash=_digest(token), assignment_id=assignment_id, contact_id=contact_id,
                     created_at=now, expires_at=now + timedelta(hours=hours)))
    return token


def create_link(db: Engine, assignment_id: int, contact_id: int | None, hours: float,
                now: datetime | None = None) -> str:
    """`add_link` in its own transaction, for an assignment that exists."""
    with Session(db) as s, s.begin():
        if s.get(Assignment, assignment_id) is None:
            raise LinkError(f"no assignment {assignment_id}", "not_found")
        return add_link(s, assignment_id, contact_id, hours, now or utcnow())


@dataclass(frozen=True)
class LinkUse:
    assignment_id: int
    agency: str
    contact_id: int | None


def use_link(db: Engine, token: str, now: datetime) -> LinkUse:
    """Spend a one-time link: its assignment (id, agency, contact). LinkError link_unknown,
    link_expired or link_used otherwise. Marked used in the same statement that checks it, so two
    clicks at once cannot both get in."""
    digest = _digest(token)
    with Session(db) as s, s.begin():
        link = s.scalar(select(AccessLink).where(AccessLink.token_hash == digest))
        if link is None:
            raise LinkError("unknown link", "link_unknown")
        if link.used_at is not None:
            raise LinkError(f"link of assignment {link.assignment_id} already used", "link_used")
        if now >= link.expires_at:
            raise LinkError(f"link of assignment {link.assignment_id} expired", "link_expired")
        spent = s.execute(update(AccessLink).where(AccessLink.id == link.id, AccessLink.used_at.is_(None))
                          .values(used_at=now))
        if getattr(spent, "rowcount", 1) != 1:
            raise LinkError(f"link of assignment {link.assignment_id} already used", "link_used")
        agency = s.scalar(select(Assignment.agency).where(Assignment.id == link.assignment_id))
        return LinkUse(link.assignment_id, agency or "", link.contact_id)


def open_link_session(db: Engine, use: LinkUse, session_hash: str, now: datetime, hours: float) -> None:
    """The short session a spent link opens, kept as one more access_links row for the same
    assignment: stored under the hash of the session cookie (hashed with another prefix than a
    link's, so an emailed token never works as a cookie) and already `used`, so it is never a link."""
    with Session(db) as s, s.begin():
        s.add(AccessLink(token_hash=session_hash, assignment_id=use.assignment_id, contact_id=use.contact_id,
                         created_at=now, expires_at=now + timedelta(hours=hours), used_at=now))


@dataclass(frozen=True)
class LinkSession:
    assignment_id: int
    agency: str
    contact_id: int | None
    contact_name: str | None
    contact_username: str | None


def link_session(db: Engine, session_hash: str, now: datetime) -> LinkSession | None:
    """The live link session stored under this hash (see open_link_session), or None."""
    with Session(db) as s:
        row = s.execute(select(AccessLink, Assignment.agency)
                        .join(Assignment, Assignment.id == AccessLink.assignment_id)
                        .where(AccessLink.token_hash == session_hash, AccessLink.expires_at > now,
                               AccessLink.used_at.is_not(None))).first()
        if row is None:
            return None
        link, agency = row
        contact = s.get(AgencyContact, link.contact_id) if link.contact_id else None
        if contact is not None and (not contact.active or contact.agency != agency):
            return None  # a contact removed (or moved) since: their sessions end
        return LinkSession(link.assignment_id, agency, link.contact_id, contact.name if contact else None,
                           contact.username if contact else None)


def end_link_session(db: Engine, session_hash: str, now: datetime) -> None:
    with Session(db) as s, s.begin():
        s.execute(update(AccessLink).where(AccessLink.token_hash == session_hash, AccessLink.used_at.is_not(None))
                  .values(expires_at=now))


def link_assignment(db: Engine, token: str) -> int | None:
    """The assignment a link (used or not) was issued for, for the audit of a refused use."""
    with Session(db) as s:
        return s.scalar(select(AccessLink.assignment_id).where(AccessLink.token_hash == _digest(token)))
