"""The recordings the books know: which ticket a closed file belongs to, how long its call was
answered, what verify / purge / export work through."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Call, Callback, Recording, Ticket

OPEN_STATUSES = ("in_call", "callback_pending")  # tickets whose recordings are never purged


@dataclass(frozen=True)
class StoredRecording:
    id: int
    ticket: str  # its ticket's code
    ticket_status: str
    path: str  # relative to the recordings store
    sha256: str | None
    status: str  # ok | flagged | purged
    flag: str | None
    created_at: datetime


def ticket_of_file(db: Engine, name: str) -> str | None:
    """'1022-261125-0042' (a call), 'callback-7' (callback 7's call) or 'fallback-<uniqueid>' (a call
    the dialplan served alone, once reconciliation has made its ticket) -> the ticket code."""
    if name.startswith("fallback-"):
        with Session(db) as s:
            return s.scalar(select(Ticket.code).join(Call, Ticket.call_id == Call.id)
                            .where(Call.uniqueid == name.removeprefix("fallback-")))
    if not name.startswith("callback-"):
        return name
    number = name.removeprefix("callback-")
    if not number.isdigit():
        return None
    with Session(db) as s:
        return s.scalar(select(Ticket.code).join(Callback, Callback.ticket_id == Ticket.id)
                        .where(Callback.id == int(number)))


def answered_seconds(db: Engine, code: str) -> float | None:
    """How long the ticket's call was answered (None while it has not ended)."""
    with Session(db) as s:
        row = s.execute(select(Call.answered_at, Call.ended_at).join(Ticket, Ticket.call_id == Call.id)
                        .where(Ticket.code == code)).first()
    if not row or not row[0] or not row[1]:
        return None
    return float((row[1] - row[0]).total_seconds())


def stored(db: Engine, code: str | None = None, older_than: datetime | None = None) -> list[StoredRecording]:
    """Recordings not purged: all, one ticket's, or those taken before `older_than`."""
    q = select(Recording, Ticket.code, Ticket.status).join(Ticket).where(Recording.status != "purged")
    if code is not None:
        q = q.where(Ticket.code == code)
    if older_than is not None:
        q = q.where(Recording.created_at < older_than)
    with Session(db) as s:
        rows = s.execute(q.order_by(Recording.id)).all()
    return [StoredRecording(r.id, c, st, r.path, r.sha256, r.status, r.flag, r.created_at) for r, c, st in rows]


def mark_purged(db: Engine, recording_id: int, at: datetime) -> None:
    with Session(db) as s, s.begin():
        rec = s.get(Recording, recording_id)
        if rec is not None:
            rec.status, rec.purged_at = "purged", at
