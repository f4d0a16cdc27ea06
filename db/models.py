"""Tickets in SQL: every call is a ticket, every step an event."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

TICKET_KINDS = ("info", "report", "emergency", "operator", "after_hours", "web")  # web: the portal's form, Open311
# new: a web report waiting for an agent's triage (an agent taking it makes it open)
TICKET_STATUSES = ("in_call", "closed", "after_hours", "callback_pending", "unreachable", "new")
# what an agent or supervisor can set while working a ticket (the call flow never overwrites these)
CASE_STATUSES = ("open", "forwarded", "answered", "resolved", "closed")


class Base(DeclarativeBase):
    pass


class TicketCounter(Base):
    """The next free ticket number of a day (prefix '1022-261203-'); engines reserve blocks of it."""
    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    next: Mapped[int]


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(128))
    dnid: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="vi")

    tickets: Mapped[list[Ticket]] = relationship(back_populates="call")


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    kind: Mapped[str | None] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(8))  # 113 / 114 / 115
    queue: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), default="in_call")
    priority: Mapped[int] = mapped_column(default=3)
    summary: Mapped[str | None] = mapped_column(Text)
    # the structured report the agent enters (the area routes it to an agency)
    caller_name: Mapped[str | None] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(255))
    area: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(32))  # the call's disposition, from the site's list
    reply_by: Mapped[str | None] = mapped_column(String(16))  # callback | sms: how the citizen hears the answer
    map_point: Mapped[str | None] = mapped_column(String(64))  # "lat,lon", optional
    # a web report's citizen (migration 0010): internal, never shown on a public page
    contact_phone: Mapped[str | None] = mapped_column(String(32))  # national digits: 0905123456
    contact_email: Mapped[str | None] = mapped_column(String(255))
    consent: Mapped[bool | None]  # agreed to be contacted about it
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # filled from AMI queue events (app_queue)
    agent: Mapped[str | None] = mapped_column(String(16))  # extension of the agent who answered
    queue_joined_at: Mapped[datetime | None]
    agent_answered_at: Mapped[datetime | None]
    wait_s: Mapped[int | None]
    talk_s: Mapped[int | None]
    abandoned: Mapped[bool] = mapped_column(default=False)
    abandon_position: Mapped[int | None]

    call: Mapped[Call | None] = relationship(back_populates="tickets")
    # one order for a ticket's events whoever wrote them (the engine's writer, the console, the CLI)
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket",
                                                     order_by="(TicketEvent.at, TicketEvent.id)")

    __table_args__ = (Index("ix_tickets_created_at", "created_at"), Index("ix_tickets_field", "field"),
                      Index("ix_tickets_status", "status"), Index("ix_tickets_agent", "agent"),
                      Index("ix_tickets_area", "area"))


class TicketEvent(Base):
    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Agent(Base):
    """A person who answers calls. `seat` is the endpoint (PJSIP/agent103) while logged in."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    extension: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    pin_hash: Mapped[str] = mapped_column(String(128))
    skills: Mapped[str] = mapped_column(Text, default="{}")  # JSON {queue: penalty}
    seat: Mapped[str | None] = mapped_column(String(64))
    logged_in_at: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(32))


class AgentState(Base):
    """One interval of an agent's time: ready, ringing, talking, wrapup, paused (with reason)."""

    __tablename__ = "agent_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent: Mapped[str] = mapped_column(String(16), index=True)  # extension
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Audit(Base):
    """Who did what to whom: supervisor listen/whisper/barge, transfers, playback."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(64))
    call: Mapped[str | None] = mapped_column(String(64))  # uniqueid
    detail: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None]


class Recording(Base):
    """A closed audio file in the recordings store, linked to its ticket."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call | voicemail | callback
    path: Mapped[str] = mapped_column(String(255))  # relative to the recordings store
    sha256: Mapped[str | None] = mapped_column(String(64))
    bytes: Mapped[int]
    duration_s: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(16))  # ok | flagged | purged
    flag: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    purged_at: Mapped[datetime | None]


class Callback(Base):
    """A citizen to call back: from a voicemail or a callback offer in the queue."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    queue: Mapped[str | None] = mapped_column(String(32))
    queued_at: Mapped[datetime]  # the caller's original place in line
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | claimed | done | unreachable
    claimed_by: Mapped[str | None] = mapped_column(String(16))
    claimed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(24))
    updated_at: Mapped[datetime]


class User(Base):
    """A console account. `extension` links an agent / callback worker to their agent number and
    a supervisor to their supervisor seat (201 → PJSIP/supervisor201)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # agent | supervisor | callback | leader | admin
    extension: Mapped[str | None] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(8))  # the console's language; None: Vietnamese
    agency: Mapped[str | None] = mapped_column(String(32))  # role agency: the one agency they act for


class PauseReason(Base):
    """Why an agent pauses: *13<digit> on the phone, a choice on the desk; admins edit them."""

    __tablename__ = "pause_reasons"

    digit: Mapped[str] = mapped_column(String(1), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    vi: Mapped[str] = mapped_column(String(64))
    en: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)


class WebSession(Base):
    """A console login. Only the token's SHA-256 is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
