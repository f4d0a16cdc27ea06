"""Reports that come in without a call: the portal's form (and any other channel that brings a
citizen's report with a contact, e.g. Open311: `source`). A report becomes a ticket of kind `web`
in the same lifecycle as a call, with status `new` (waiting for triage) until an agent takes it
from the desk's list: the ticket is then theirs (they can edit and forward it) and `open`.

The citizen's contact is kept on the ticket (contact_phone, contact_email, consent: internal,
never public); the photos' rows (db.web_report_models.TicketPhoto) point at files the caller has
already stored, metadata stripped. Who may see a report's contact and photos follows who may see
the ticket (db.queries.tickets)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from db.models import Ticket, TicketEvent
from db.numbers import reserve
from db.queries.tickets import NotYourTicket, TicketNotFound, _visible
from db.web_report_models import TicketPhoto

KIND = "web"
WAITING = "new"  # waiting for triage
TAKEN = "open"  # what an agent's triage makes of it (as after a call)
SOURCES = ("web", "open311")

__all__ = ["KIND", "WAITING", "SOURCES", "NewPhoto", "NewReport", "Waiting", "PhotoView", "WebReportView",
           "StoredPhoto", "NotWaiting", "NoSuchPhoto", "TicketNotFound", "NotYourTicket", "day_prefix", "submit",
           "waiting", "waiting_count", "take", "details", "photo"]


class NotWaiting(LookupError):
    """The report is no longer waiting for triage: `agent` took it (None: a supervisor moved it on)."""

    def __init__(self, code: str, agent: str | None):
        super().__init__(f"{code} is no longer waiting for triage")
        self.agent = agent


class NoSuchPhoto(LookupError):
    """No photo of that id."""


@dataclass(frozen=True)
class NewPhoto:
    path: str  # relative to <data>/photos
    content_type: str
    sha256: str
    bytes: int
    width: int
    height: int
    gps: tuple[float, float] | None  # (lat, lon) from the original's EXIF


@dataclass(frozen=True)
class NewReport:
    field: str
    area: str | None
    address: str | None
    description: str
    contact_phone: str | None  # national digits
    contact_email: str | None
    consent: bool
    photos: tuple[NewPhoto, ...] = ()
    map_point: str | None = None  # "lat,lon" the sender gave; else the first photo's location
    source: str = "web"  # web | open311
    language: str = "vi"  # the citizen's, for the answer


@dataclass(frozen=True)
class Waiting:
    code: str
    field: str | None
    area: str | None
    created_at: datetime  # naive UTC
    photos: int


@dataclass(frozen=True)
class PhotoView:
    id: int
    content_type: str
    bytes: int
    width: int
    height: int
    gps: str | None


@dataclass(frozen=True)
class WebReportView:
    code: str
    contact_phone: str | None
    contact_email: str | None
    consent: bool | None
    photos: tuple[PhotoView, ...]


@dataclass(frozen=True)
class StoredPhoto:
    id: int
    ticket: str  # its ticket's code
    path: str  # relative to <data>/photos
    content_type: str


def day_prefix(hotline: str, local: datetime) -> str:
    """The ticket codes' prefix of the site's day (the same as the calls': db.numbers)."""
    return f"{hotline}-{local.strftime('%y%m%d')}-"


def _point(lat_lon: tuple[float, float]) -> str:
    return f"{lat_lon[0]:.6f},{lat_lon[1]:.6f}"


def submit(db: Engine, report: NewReport, prefix: str, at: datetime,
           also: Callable[[Session, Ticket], None] | None = None) -> str:
    """The ticket, its 'web_report' event and its photos' rows in one transaction (with what `also`
    adds, e.g. Open311's own row); returns the code.
    The number comes from the day's counter the engines reserve their blocks from (reserved just
    before: a failed write leaves a gap in the numbers, never a duplicate)."""
    if report.source not in SOURCES:
        raise ValueError(f"source: one of {', '.join(SOURCES)}")
    code = f"{prefix}{reserve(db, prefix, 1):04d}"
    located = next((p.gps for p in report.photos if p.gps), None)
    point = report.map_point or (_point(located) if located else None)
    with Session(db) as s, s.begin():
        ticket = Ticket(code=code, kind=KIND, status=WAITING, priority=3, field=report.field, area=report.area,
                        address=report.address, summary=report.description, map_point=point,
                        contact_phone=report.contact_phone, contact_email=report.contact_email,
                        consent=report.consent, created_at=at)
        s.add(ticket)
        s.flush()
        # what the timeline tells: no contact here (the event detail is shown to every viewer of the ticket)
        detail = {"source": report.source, "photos": len(report.photos), "language": report.language}
        s.add(TicketEvent(ticket_id=ticket.id, at=at, kind="web_report", detail=json.dumps(detail, ensure_ascii=False)))
        for p in report.photos:
            s.add(TicketPhoto(ticket_id=ticket.id, path=p.path, content_type=p.content_type, sha256=p.sha256,
                              bytes=p.bytes, width=p.width, height=p.height,
                              gps=f"{p.gps[0]},{p.gps[1]}" if p.gps else None, created_at=at))
        if also is not None:
            also(s, ticket)
    return code


def waiting(db: Engine, limit: int = 100) -> tuple[list[Waiting], int]:
    """The reports waiting for triage, oldest first (`limit` of them), and how many in all."""
    photos = (select(func.count(TicketPhoto.id)).where(TicketPhoto.ticket_id == Ticket.id)
              .correlate(Ticket).scalar_subquery())
    with Session(db) as s:
        rows = s.execute(select(Ticket.code, Ticket.field, Ticket.area, Ticket.created_at, photos.label("photos"))
                         .where(Ticket.kind == KIND, Ticket.status == WAITING)
                         .order_by(Ticket.created_at, Ticket.id).limit(limit)).all()
        total = s.scalar(select(func.count(Ticket.id)).where(Ticket.kind == KIND, Ticket.status == WAITING)) or 0
    return [Waiting(r.code, r.field, r.area, r.created_at, int(r.photos or 0)) for r in rows], total


def waiting_count(db: Engine) -> int:
    with Session(db) as s:
        return s.scalar(select(func.count(Ticket.id)).where(Ticket.kind == KIND, Ticket.status == WAITING)) or 0


def take(db: Engine, code: str, agent: str, by: str, at: datetime) -> None:
    """Agent `agent` (extension; `by` their username) takes the report waiting for triage: it becomes
    theirs and open, with an 'edit' event, in one conditional write (two agents clicking at once:
    one gets it, the other NotWaiting). Taking one's own report again is no change."""
    with Session(db) as s, s.begin():
        done = s.execute(update(Ticket).where(Ticket.code == code, Ticket.kind == KIND, Ticket.status == WAITING,
                                              Ticket.agent.is_(None))
                         .values(agent=agent, status=TAKEN))
        taken = int(getattr(done, "rowcount", 0)) == 1
        row = s.execute(select(Ticket.id, Ticket.agent, Ticket.kind).where(Ticket.code == code)).first()
        if row is None:
            raise TicketNotFound(f"no ticket {code}")
        if not taken:
            if row.agent == agent and row.kind == KIND:
                return
            raise NotWaiting(code, row.agent)
        detail = {"by": by, "status": TAKEN, "agent": agent, "triage": True}
        s.add(TicketEvent(ticket_id=row.id, at=at, kind="edit", detail=json.dumps(detail, ensure_ascii=False)))


def _may_see(s: Session, ticket_id: int, role: str, extension: str | None) -> bool:
    where = _visible(role, extension)
    return where is None or s.scalar(select(Ticket.id).where(Ticket.id == ticket_id, where)) is not None


def details(db: Engine, code: str, role: str, extension: str | None) -> WebReportView:
    """A report's internal part (contact, consent, photos) for a viewer who may see its ticket:
    TicketNotFound, or NotYourTicket."""
    with Session(db) as s:
        t = s.scalar(select(Ticket).where(Ticket.code == code))
        if t is None:
            raise TicketNotFound(f"no ticket {code}")
        if not _may_see(s, t.id, role, extension):
            raise NotYourTicket(f"ticket {code} is not yours")
        rows = s.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == t.id).order_by(TicketPhoto.id)).all()
        return WebReportView(t.code, t.contact_phone, t.contact_email, t.consent,
                             tuple(PhotoView(p.id, p.content_type, p.bytes, p.width, p.height, p.gps) for p in rows))


def photo(db: Engine, photo_id: int, role: str, extension: str | None) -> StoredPhoto:
    """A photo, if this viewer may see its ticket: NoSuchPhoto, or NotYourTicket."""
    with Session(db) as s:
        row = s.execute(select(TicketPhoto, Ticket.code).join(Ticket, Ticket.id == TicketPhoto.ticket_id)
                        .where(TicketPhoto.id == photo_id)).first()
        if row is None:
            raise NoSuchPhoto(f"no photo {photo_id}")
        p, code = row
        if not _may_see(s, p.ticket_id, role, extension):
            raise NotYourTicket(f"ticket {code} is not yours")
        return StoredPhoto(p.id, code, p.path, p.content_type)
