"""Tickets as the console shows them: search, the whole record of one ticket, edits and notes,
and the recording a viewer asks to play.

Who sees what is decided here, from the viewer's role and extension: an agent only the
tickets of calls they answered, a callback worker the tickets that have a callback, every
other role every ticket. Dates go out as ISO text with a 'Z' (they are stored in UTC).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, exists, func, select
from sqlalchemy.orm import Session, selectinload

from db.agency_models import Assignment
from db.models import CASE_STATUSES, TICKET_STATUSES, Call, Callback, Recording, Ticket
from db.store import as_dict
from db import operations as ops
from db.clock import utcnow
from db.queries import caller_cases
from db.queries.assignments import WITH_AGENCY

__all__ = ["CASE_STATUSES", "TICKET_STATUSES", "TicketNotFound", "NotYourTicket", "NoSuchRecording",
           "PlayableRecording", "search", "load", "edit", "add_note", "playable_recording"]


class TicketNotFound(LookupError):
    """No ticket of that code."""


class NotYourTicket(PermissionError):
    """The ticket exists but this viewer may not see it."""


class NoSuchRecording(LookupError):
    """No recording of that id."""


@dataclass(frozen=True)
class PlayableRecording:
    id: int
    ticket: str  # its ticket's code
    kind: str  # call | voicemail | callback
    path: str  # relative to the recordings store
    status: str  # ok | flagged | purged


def _visible(role: str, extension: str | None) -> ColumnElement[bool] | None:
    """The condition limiting tickets to what this viewer may see (None: all)."""
    if role == "agent":
        return Ticket.agent == extension
    if role == "callback":
        return Ticket.id.in_(select(Callback.ticket_id))
    return None


def _z(at: datetime) -> str:
    return at.isoformat() + "Z"


def search(db: Engine, role: str, extension: str | None, *, code: str | None = None, number: str | None = None,
           field: str | None = None, status: str | None = None, area: str | None = None,
           created_from: datetime | None = None, created_before: datetime | None = None, limit: int = 100,
           offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The newest tickets this viewer may see, matching every filter given: part of the code, part
    of the caller's number, the field, status and area exactly, created in [created_from,
    created_before); `limit` of them from `offset` on, and how many match in all. Each row says
    whether the ticket is `overdue` (one of its open assignments is past its deadline now)."""
    conditions: list[ColumnElement[bool]] = []
    where = _visible(role, extension)
    if where is not None:
        conditions.append(where)
    if code is not None:
        conditions.append(Ticket.code.contains(code))
    if number is not None:
        conditions.append(Call.caller_number.contains(number))
    for column, value in ((Ticket.field, field), (Ticket.status, status), (Ticket.area, area)):
        if value is not None:
            conditions.append(column == value)
    if created_from is not None:
        conditions.append(Ticket.created_at >= created_from)
    if created_before is not None:
        conditions.append(Ticket.created_at < created_before)
    # overdue: an agency (or a reroute at 1022) still owes one of its assignments past the deadline
    overdue = exists().where(Assignment.ticket_id == Ticket.id, Assignment.processing.in_(WITH_AGENCY),
                             Assignment.deadline_at < utcnow())
    stmt = select(Ticket, Call, overdue.label("overdue")).outerjoin(Call, Ticket.call_id == Call.id).where(*conditions)
    with Session(db) as s:
        rows = s.execute(stmt.order_by(Ticket.id.desc()).limit(limit).offset(offset)).all()
        total = s.scalar(select(func.count(Ticket.id)).select_from(Ticket)
                         .outerjoin(Call, Ticket.call_id == Call.id).where(*conditions)) or 0
    return [{"code": t.code, "created_at": _z(t.created_at), "caller_number": c.caller_number if c else None,
             "caller_name": t.caller_name, "kind": t.kind, "field": t.field, "status": t.status, "area": t.area,
             "address": t.address, "outcome": t.outcome, "queue": t.queue, "agent": t.agent,
             "priority": t.priority, "summary": (t.summary or "")[:120], "overdue": bool(late)}
            for t, c, late in rows], total


def _may_see(s: Session, ticket_id: int, where: ColumnElement[bool] | None) -> bool:
    return where is None or s.scalar(select(Ticket.id).where(Ticket.id == ticket_id, where)) is not None


def load(db: Engine, code: str, role: str, extension: str | None) -> dict[str, Any]:
    """The whole record of one ticket: its timeline, recordings, callbacks, notes, the caller's
    earlier tickets and their open cases (`caller_cases`: which agency holds each, by when).
    TicketNotFound, or NotYourTicket if this viewer may not see it."""
    where = _visible(role, extension)
    with Session(db) as s:
        t = s.scalar(select(Ticket).options(selectinload(Ticket.events), selectinload(Ticket.call))
                     .where(Ticket.code == code))
        if t is None:
            raise TicketNotFound(f"no ticket {code}")
        if not _may_see(s, t.id, where):
            raise NotYourTicket(f"ticket {code} is not yours")
        out = as_dict(t)
        # the database keeps naive UTC: say so, or a browser reads these as its local time
        out.update(summary=t.summary, priority=t.priority, reply_by=t.reply_by, map_point=t.map_point,
                   created_at=out["created_at"] + "Z",
                   closed_at=out["closed_at"] + "Z" if out["closed_at"] else None)
        for event in out["events"]:
            event["at"] += "Z"
        out["recordings"] = [{"id": r.id, "kind": r.kind, "duration_s": r.duration_s, "status": r.status,
                              "flag": r.flag, "url": f"/api/recordings/{r.id}/audio",
                              "created_at": _z(r.created_at)}
                             for r in s.scalars(select(Recording).where(Recording.ticket_id == t.id))]
        out["callbacks"] = [{"id": c.id, "state": c.state, "outcome": c.outcome, "attempts": c.attempts,
                             "due_at": _z(c.due_at), "claimed_by": c.claimed_by}
                            for c in s.scalars(select(Callback).where(Callback.ticket_id == t.id))]
        out["earlier"] = _earlier(s, t, where)
        out["open_cases"] = _open_cases(s, t)
        out["notes"] = [{"at": e["at"], **(e["detail"] or {})} for e in out["events"] if e["kind"] == "note"]
    return out


def _earlier(s: Session, t: Ticket, where: ColumnElement[bool] | None) -> list[dict[str, Any]]:
    """The caller's other tickets: code, date, field, status for all; the summary only of those the
    viewer may open themselves (an agent sees another agent's ticket exists, not what it says)."""
    if not (t.call and t.call.caller_number):
        return []
    rows = s.execute(select(Ticket.id, Ticket.code, Ticket.created_at, Ticket.field, Ticket.status, Ticket.summary)
                     .join(Call).where(Call.caller_number == t.call.caller_number, Ticket.id != t.id)
                     .order_by(Ticket.id.desc()).limit(10)).all()
    mine = {r.id for r in rows} if where is None else set(
        s.scalars(select(Ticket.id).where(Ticket.id.in_([r.id for r in rows]), where)))
    return [{"code": e.code, "created_at": _z(e.created_at), "field": e.field, "status": e.status,
             **({"summary": (e.summary or "")[:120]} if e.id in mine else {})} for e in rows]


def _open_cases(s: Session, t: Ticket) -> list[dict[str, Any]]:
    """The caller's other open cases as the pop shows them (code, field, status, the agency holding
    it and its deadline: no summary, as for the earlier tickets of another agent)."""
    cases = caller_cases.in_session(s, t.call.caller_number if t.call else None, t.code, utcnow())
    return [{"code": c.code, "created_at": _z(c.created_at), "field": c.field, "status": c.status,
             "deadline_at": _z(c.deadline_at) if c.deadline_at else None, "agency": c.agency,
             "agency_name": c.agency_name, "overdue": c.overdue} for c in cases]


def _ticket_exists(db: Engine, code: str) -> None:
    with Session(db) as s:
        if s.scalar(select(Ticket.id).where(Ticket.code == code)) is None:
            raise TicketNotFound(f"no ticket {code}")


def edit(db: Engine, code: str, by: str, changes: dict[str, Any]) -> None:
    """Set the ticket's columns named in `changes` (already checked by the caller), with an 'edit'
    event saying who changed what: the same operations the engine's writer applies. Nothing is
    written when there is nothing to change."""
    if not changes:
        return
    _ticket_exists(db, code)
    now = utcnow()
    ops.apply_now(db, ops.AddEvent(code, now, "edit", {"by": by, **changes}), ops.SetTicket(code, now, changes))


def add_note(db: Engine, code: str, by: str, text: str) -> None:
    """A note on the ticket's timeline."""
    _ticket_exists(db, code)
    ops.apply_now(db, ops.AddEvent(code, utcnow(), "note", {"by": by, "text": text}))


def playable_recording(db: Engine, recording_id: int, role: str, extension: str | None) -> PlayableRecording:
    """A recording with its ticket, if this viewer may see that ticket: NoSuchRecording, or
    NotYourTicket. Whether the file is still stored is the caller's to check."""
    where = _visible(role, extension)
    with Session(db) as s:
        row = s.execute(select(Recording, Ticket.code).join(Ticket, Ticket.id == Recording.ticket_id)
                        .where(Recording.id == recording_id)).first()
        if row is None:
            raise NoSuchRecording(f"no recording {recording_id}")
        rec, code = row
        if not _may_see(s, rec.ticket_id, where):
            raise NotYourTicket(f"ticket {code} is not yours")
    return PlayableRecording(rec.id, code, rec.kind, rec.path, rec.status)
