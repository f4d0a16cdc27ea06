"""Open311 service requests in SQL: a client's request becomes a ticket through the portal's form's
own `db.queries.web_reports.submit` (kind `web`, status `new`: waiting for triage on the agent
desk; the contact on the ticket, so the case lookup's second factor works the same), with what
the client sent besides kept beside it (db.api_key_models.Open311Request: which client, the
citizen's names, the photo's address; internal); and the reads a public GET answers from.

Public reads are the citizens' reports (kinds `report` and `web`) with a field: a call still in
progress, an information call or an emergency is no service request. They carry what the
answer may be built from and, separately, the names to hide from the description (the caller's
and the client's first and last name): the caller of `portal.open311` redacts, never this module.
A case a supervisor hid from the public (db.publication_models) is not read; the public summary
they wrote replaces the ticket's.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session

from db.agency_models import Agency, Assignment
from db.api_key_models import Open311Request
from db.models import Call, Ticket, TicketEvent
from db.queries import web_reports
from db.publication_models import Publication

PUBLIC_KINDS = ("report", "web")
DONE = ("resolved", "closed")  # Open311's `closed`; every other status is `open`
WAITING = web_reports.WAITING  # `new`: until an agent takes it from the desk's triage list


@dataclass(frozen=True)
class NewRequest:
    field: str
    area: str | None
    address: str | None  # internal: the street address as the client sent it
    summary: str
    map_point: str | None  # "lat,lon"
    client: str  # the API key's name
    email: str | None = None
    phone: str | None = None  # national digits
    first_name: str | None = None
    last_name: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media_url: str | None = None
    language: str = "vi"  # the citizen's, for the answer


@dataclass(frozen=True)
class Forward:
    agency: str
    agency_name: str
    processing: str  # in_progress | answered | rejected | extension_requested | closed
    review: str | None
    deadline_at: datetime  # naive UTC


@dataclass(frozen=True)
class PublicRequest:
    code: str
    field: str
    area: str | None
    status: str
    summary: str | None  # the original: to redact before it is shown
    created_at: datetime  # naive UTC
    updated_at: datetime
    map_point: str | None
    media_url: str | None
    forwards: tuple[Forward, ...]  # in the order they were made
    names: tuple[str, ...]  # personal names to hide from the summary


def create(db: Engine, new: NewRequest, prefix: str, at: datetime) -> str:
    """A new ticket for the request; returns its code (`prefix` is the day's, e.g. '1022-261203-').
    The ticket is written as the form's are, with the Open311 part in the same transaction."""
    consent = bool(new.phone or new.email)  # the client passes on a contact only when it may be used
    # a Vietnamese name is said family name first: "Nguyễn" + "Văn An" is "Nguyễn Văn An"
    name = " ".join(n for n in (new.last_name, new.first_name) if n) or None

    def client_row(s: Session, ticket: Ticket) -> None:
        ticket.caller_name = name
        s.add(Open311Request(ticket_id=ticket.id, client=new.client, email=new.email, phone=new.phone,
                             first_name=new.first_name, last_name=new.last_name, device_id=new.device_id,
                             account_id=new.account_id, media_url=new.media_url, created_at=at))

    return web_reports.submit(db, web_reports.NewReport(
        new.field, new.area, new.address, new.summary, new.phone, new.email, consent, map_point=new.map_point,
        source="open311", language=new.language), prefix, at, client_row)


def _public() -> list[ColumnElement[bool]]:
    return [Ticket.kind.in_(PUBLIC_KINDS), Ticket.field.is_not(None), Ticket.status != "in_call",
            Publication.hidden.is_(None) | Publication.hidden.is_(False)]


def _read(s: Session, where: Sequence[ColumnElement[bool]], limit: int) -> list[PublicRequest]:
    rows = s.execute(select(Ticket, Call.caller_name, Open311Request, Publication.summary)
                     .outerjoin(Call, Ticket.call_id == Call.id)
                     .outerjoin(Open311Request, Open311Request.ticket_id == Ticket.id)
                     .outerjoin(Publication, Publication.ticket_id == Ticket.id)
                     .where(*_public(), *where).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)).all()
    ids = [row[0].id for row in rows]
    if not ids:
        return []
    last = {tid: at for tid, at in s.execute(select(TicketEvent.ticket_id, func.max(TicketEvent.at))
                                             .where(TicketEvent.ticket_id.in_(ids)).group_by(TicketEvent.ticket_id))}
    forwards: dict[int, list[Forward]] = {}
    for a, name in s.execute(select(Assignment, Agency.name).outerjoin(Agency, Agency.key == Assignment.agency)
                             .where(Assignment.ticket_id.in_(ids)).order_by(Assignment.id)):
        forwards.setdefault(a.ticket_id, []).append(
            Forward(a.agency, name or a.agency, a.processing, a.review, a.deadline_at))
    out = []
    for t, call_name, o, public_summary in rows:
        names = tuple(n for n in (t.caller_name, call_name, o and o.first_name, o and o.last_name) if n)
        updated = max(t.created_at, last.get(t.id) or t.created_at, t.closed_at or t.created_at)
        out.append(PublicRequest(t.code, t.field or "", t.area, t.status, public_summary or t.summary, t.created_at,
                                 updated, t.map_point, o.media_url if o else None, tuple(forwards.get(t.id, ())),
                                 names))
    return out


def find(db: Engine, code: str) -> PublicRequest | None:
    with Session(db) as s:
        found = _read(s, [Ticket.code == code], 1)
    return found[0] if found else None


def search(db: Engine, *, codes: Sequence[str] = (), fields: Sequence[str] = (), start: datetime | None = None,
           end: datetime | None = None, closed: bool | None = None, limit: int = 1000) -> list[PublicRequest]:
    """Public requests, newest first: of these codes and fields (empty: any), requested in
    [start, end] (naive UTC), closed or open (None: both); `limit` at most."""
    where: list[ColumnElement[bool]] = []
    if codes:
        where.append(Ticket.code.in_(codes))
    if fields:
        where.append(Ticket.field.in_(fields))
    if start is not None:
        where.append(Ticket.created_at >= start)
    if end is not None:
        where.append(Ticket.created_at <= end)
    if closed is not None:
        where.append(Ticket.status.in_(DONE) if closed else Ticket.status.not_in(DONE))
    with Session(db) as s:
        return _read(s, where, limit)
