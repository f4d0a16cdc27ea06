"""Agencies in SQL: who must act on a citizen's report, each forward (assignment) with its
delivery, processing, deadline and review, the notifications sent for it, the one-time links
and attachments, and the history of changes to agencies (migrations 0007, 0008)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base

DELIVERY_STATES = ("queued", "sent", "acknowledged", "failed")
PROCESSING_STATES = ("in_progress", "answered", "rejected", "extension_requested", "closed")
REVIEW_STATES = ("pending", "approved", "returned")


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    fields: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of field keys
    areas: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of area keys ([]: the whole province)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]


class AgencyContact(Base):
    __tablename__ = "agency_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(255))
    mobile: Mapped[str | None] = mapped_column(String(32))
    username: Mapped[str | None] = mapped_column(String(32))
    head: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class AgencyHistory(Base):
    __tablename__ = "agency_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(32), index=True)
    change: Mapped[str] = mapped_column(Text)  # JSON {what, before, after}


class Assignment(Base):
    """One forward of a ticket to one agency."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    delivery: Mapped[str] = mapped_column(String(16), default="queued")
    delivery_reason: Mapped[str | None] = mapped_column(String(255))
    processing: Mapped[str] = mapped_column(String(24), default="in_progress")
    reason: Mapped[str | None] = mapped_column(Text)
    suggested_agency: Mapped[str | None] = mapped_column(String(32))
    deadline_at: Mapped[datetime]
    reminded: Mapped[int] = mapped_column(default=0)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(64))
    review: Mapped[str | None] = mapped_column(String(16))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    late: Mapped[bool | None]
    replaces: Mapped[int | None]
    shared_recording: Mapped[bool] = mapped_column(default=False)  # migration 0008: 1022 shares the call's
    shared_caller: Mapped[bool] = mapped_column(default=False)  # recording / the caller's number with the agency
    extension_until: Mapped[datetime | None]  # the deadline the agency proposed when it asked for more time


class Notification(Base):
    """An email or SMS to send (and retry until it is sent): nothing is lost while a server is down."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    next_try_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class AccessLink(Base):
    """A one-time, time-limited link to one assignment (only the token's SHA-256 is stored)."""

    __tablename__ = "access_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("agency_contacts.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
