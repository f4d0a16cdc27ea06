"""Callbacks in the books: the queue of callbacks, the atomic claim, an outcome recorded. A
callback that tells the citizen an agency's answer carries the approved answers, for the worker
to read out.

Claiming is one conditional UPDATE (state pending -> claimed), which both SQLite and
PostgreSQL serialise: of several concurrent claimers exactly one changes the row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.agency_models import Agency, Assignment
from db.models import Callback, Recording, Ticket


@dataclass(frozen=True)
class ApprovedAnswer:
    agency: str  # key
    agency_name: str  # as the agency is named in the books (the key if the agency is unknown there)
    text: str


class CallbackError(RuntimeError):
    """A callback that does not exist, or cannot be worked the way asked. `key` names the message
    (a catalog key of the console, "callbacks.err_<key>") and `values` fill it, so a page can say it
    in its reader's language; the text itself is for logs and the command line."""

    def __init__(self, text: str, key: str = "failed", **values: object) -> None:
        super().__init__(text)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class CallbackView:
    id: int
    ticket: str
    number: str
    language: str
    due_at: datetime
    attempts: int
    state: str
    claimed_by: str | None
    outcome: str | None
    updated_at: datetime | None = None  # when its state last changed (a finished one: when it ended)
    field: str | None = None  # its ticket's field and summary, for the worker's list
    summary: str | None = None
    answers: tuple[ApprovedAnswer, ...] = ()  # the agencies' approved answers, in the order approved


@dataclass(frozen=True)
class Settled:
    ticket: str
    attempts: int
    state: str


def _views(db: Engine, *where: Any, newest: bool = False, limit: int | None = None) -> list[CallbackView]:
    order = Callback.updated_at.desc() if newest else Callback.queued_at
    with Session(db) as s:
        rows = s.execute(select(Callback, Ticket.code, Ticket.field, Ticket.summary).join(Ticket).where(*where)
                         .order_by(order, Callback.id).limit(limit)).all()
        answers = _answers(s, {c.ticket_id for c, *_ in rows})
    return [CallbackView(c.id, code, c.number, c.language, c.due_at, c.attempts, c.state, c.claimed_by, c.outcome,
                         c.updated_at, field, summary, tuple(answers.get(c.ticket_id, ())))
            for c, code, field, summary in rows]


def _answers(s: Session, ticket_ids: set[int]) -> dict[int, list[ApprovedAnswer]]:
    """The approved agency answers of these tickets (ticket id -> answers)."""
    out: dict[int, list[ApprovedAnswer]] = {}
    if not ticket_ids:
        return out
    rows = s.execute(select(Assignment.ticket_id, Assignment.agency, Agency.name, Assignment.answer)
                     .outerjoin(Agency, Agency.key == Assignment.agency)
                     .where(Assignment.ticket_id.in_(ticket_ids), Assignment.review == "approved",
                            Assignment.answer.is_not(None))
                     .order_by(Assignment.reviewed_at, Assignment.id)).all()
    for ticket_id, agency, name, text in rows:
        out.setdefault(ticket_id, []).append(ApprovedAnswer(agency, name or agency, text or ""))
    return out


def listing(db: Engine, states: tuple[str, ...] = ("pending", "claimed")) -> list[CallbackView]:
    """Callbacks in these states, in the order the callers reached the hotline's queue."""
    return _views(db, Callback.state.in_(states))


def history(db: Engine, limit: int = 200) -> list[CallbackView]:
    """Finished callbacks (done or unreachable), the most recently finished first."""
    return _views(db, Callback.state.in_(("done", "unreachable")), newest=True, limit=limit)


def view(db: Engine, callback_id: int) -> CallbackView | None:
    return next(iter(_views(db, Callback.id == callback_id)), None)


def claim(db: Engine, callback_id: int, agent: str, now: datetime) -> bool:
    """Atomic: exactly one of several concurrent claims wins."""
    with Session(db) as s, s.begin():
        done = s.execute(update(Callback).where(Callback.id == callback_id, Callback.state == "pending")
                         .values(state="claimed", claimed_by=agent, claimed_at=now, updated_at=now))
        return int(getattr(done, "rowcount", 0)) == 1


def settle(db: Engine, callback_id: int, outcome: str, now: datetime, retry: bool, attempts_allowed: int,
           next_due: datetime) -> Settled:
    """Record an attempt's outcome: tried again at `next_due` (`retry`, while attempts remain), else
    done (the ticket closed) or unreachable."""
    with Session(db) as s, s.begin():
        cb = s.get(Callback, callback_id)
        ticket = s.get(Ticket, cb.ticket_id) if cb is not None else None
        if cb is None or ticket is None:
            raise CallbackError(f"no callback {callback_id}", "missing", id=callback_id)
        cb.outcome, cb.updated_at = outcome, now
        if retry:
            cb.attempts += 1
            if cb.attempts >= attempts_allowed:
                cb.state, ticket.status = "unreachable", "unreachable"
            else:
                cb.state, cb.claimed_by, cb.due_at = "pending", None, next_due
        else:
            cb.attempts += outcome != "resolved"
            cb.state, ticket.status = "done", "closed"
        return Settled(ticket.code, cb.attempts, cb.state)


def voicemail_path(db: Engine, ticket_code: str) -> str | None:
    """The ticket's voicemail, relative to the recordings store."""
    with Session(db) as s:
        return s.scalar(select(Recording.path).join(Ticket).where(Ticket.code == ticket_code,
                                                                   Recording.kind == "voicemail"))
