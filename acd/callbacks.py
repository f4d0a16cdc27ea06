"""Callbacks: citizens who left a message are called back by an agent.

Claiming is one conditional UPDATE, so two workers never get the same callback. Dialling
rings the agent's phone first (AMI Originate into the `tongdai-callback` context, which
plays the voicemail to the agent), then the citizen over the trunk with caller ID 1022,
recorded. No answer or busy is retried `attempts` times, `retry_minutes` apart, only inside
the calling window; then the callback is closed as unreachable.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from acd.ami import AmiClient
from db import store
from db.models import Callback, Recording, Ticket
from db.writer import utcnow
from ivr import phone
from config import Site

OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "resolved")
RETRY = ("no_answer", "busy")
DIAL_STATUS = {"ANSWER": "reached", "NOANSWER": "no_answer", "BUSY": "busy", "CONGESTION": "no_answer",
               "CHANUNAVAIL": "no_answer", "CANCEL": "no_answer"}


class CallbackError(RuntimeError):
    pass


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


def _views(db: Engine, *where) -> list[CallbackView]:
    with Session(db) as s:
        rows = s.execute(select(Callback, Ticket.code).join(Ticket).where(*where).order_by(Callback.queued_at)).all()
    return [CallbackView(c.id, code, c.number, c.language, c.due_at, c.attempts, c.state, c.claimed_by, c.outcome)
            for c, code in rows]


def listing(db: Engine, states: tuple[str, ...] = ("pending", "claimed")) -> list[CallbackView]:
    """Callbacks in these states, in the order the callers reached the hotline's queue."""
    return _views(db, Callback.state.in_(states))


def view(db: Engine, callback_id: int) -> CallbackView | None:
    return next(iter(_views(db, Callback.id == callback_id)), None)


def claim(db: Engine, callback_id: int, agent: str) -> bool:
    """Atomic: exactly one of several concurrent claims wins."""
    with Session(db) as s, s.begin():
        done = s.execute(update(Callback).where(Callback.id == callback_id, Callback.state == "pending")
                         .values(state="claimed", claimed_by=agent, claimed_at=utcnow(), updated_at=utcnow()))
        return done.rowcount == 1


def next_try(site: Site, now: datetime) -> datetime:
    """now + retry_minutes, moved into the calling window (naive UTC in and out)."""
    tz = ZoneInfo(site.timezone)
    local = (now + timedelta(minutes=site.callbacks.retry_minutes)).replace(tzinfo=timezone.utc).astimezone(tz)
    start, end = site.callbacks.window
    minute = local.hour * 60 + local.minute
    if minute >= end:
        local = datetime.combine(local.date() + timedelta(days=1), time(start // 60, start % 60), tz)
    elif minute < start:
        local = datetime.combine(local.date(), time(start // 60, start % 60), tz)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def record_outcome(site: Site, db: Engine, callback_id: int, outcome: str, by: str) -> CallbackView:
    if outcome not in OUTCOMES:
        raise CallbackError(f"outcome must be one of {', '.join(OUTCOMES)}")
    now = utcnow()
    with Session(db) as s, s.begin():
        cb = s.get(Callback, callback_id)
        if cb is None:
            raise CallbackError(f"no callback {callback_id}")
        ticket = s.get(Ticket, cb.ticket_id)
        cb.outcome, cb.updated_at = outcome, now
        if outcome in RETRY:
            cb.attempts += 1
            if cb.attempts >= site.callbacks.attempts:
                cb.state, ticket.status = "unreachable", "unreachable"
            else:
                cb.state, cb.claimed_by, cb.due_at = "pending", None, next_try(site, now)
        else:
            cb.attempts += outcome != "resolved"
            cb.state, ticket.status = "done", "closed"
        code, attempt, state = ticket.code, cb.attempts, cb.state
    store.add_call_event(db, _uniqueid(db, code), "callback",
                         {"outcome": outcome, "by": by, "attempt": attempt, "state": state})
    return view(db, callback_id)


def _uniqueid(db: Engine, code: str) -> str:
    ticket = store.get_ticket(db, code)
    return ticket.call.uniqueid if ticket and ticket.call else ""


def _voicemail(db: Engine, site: Site, ticket_code: str) -> str:
    with Session(db) as s:
        path = s.scalar(select(Recording.path).join(Ticket).where(Ticket.code == ticket_code,
                                                                   Recording.kind == "voicemail"))
    return str((site.paths.recordings / path).with_suffix("")) if path else ""


async def dial(site: Site, db: Engine, ami: AmiClient, callback_id: int, agent_seat: str, agent: str,
               timeout: float = 120) -> str | None:
    """Ring the agent, then the citizen; returns the outcome recorded (None if the agent did not
    take the call: the callback stays claimed, no attempt is counted)."""
    cb = view(db, callback_id)
    if cb is None or cb.state not in ("pending", "claimed"):
        raise CallbackError(f"no open callback {callback_id}")
    if not phone.valid(cb.number):
        raise CallbackError(f"callback {callback_id}: {cb.number!r} is not a callable Vietnamese number")
    done: asyncio.Future = asyncio.get_running_loop().create_future()

    def watch(frame):
        if done.done():
            return
        if frame.get("Event") == "UserEvent" and frame.get("UserEvent") == "TongdaiCallback" \
                and frame.get("Callback") == str(callback_id):
            done.set_result(frame.get("DialStatus", ""))
        elif frame.get("Event") == "OriginateResponse" and frame.get("Response") == "Failure" \
                and frame.get("ActionID", "").startswith("td-"):
            done.set_result(None)

    ami.handlers.append(watch)
    try:
        return await _dial(site, db, ami, cb, agent_seat, agent, done, timeout)
    finally:
        ami.handlers.remove(watch)


async def _dial(site: Site, db: Engine, ami: AmiClient, cb: CallbackView, agent_seat: str, agent: str,
                done: asyncio.Future, timeout: float) -> str | None:
    callback_id = cb.id
    variables = {"TONGDAI_CB_ID": str(callback_id), "TONGDAI_TICKET": cb.ticket,
                 "TONGDAI_CB_NUMBER": phone.national(cb.number), "TONGDAI_VM": _voicemail(db, site, cb.ticket),
                 "TONGDAI_CB_RING": str(site.callbacks.ring_timeout)}
    reply = await ami.action("Originate", Channel=agent_seat, Context="tongdai-callback", Exten="s", Priority="1",
                             CallerID=f'"Callback {site.hotline}" <{site.hotline}>', Timeout="30000", Async="true",
                             Variable=",".join(f"{k}={v}" for k, v in variables.items()))
    if reply.get("Response") != "Success":
        raise CallbackError(f"Originate: {reply.get('Message')}")
    status = await asyncio.wait_for(done, timeout)
    if status is None:
        return None
    outcome = DIAL_STATUS.get(status, "no_answer")
    record_outcome(site, db, callback_id, outcome, agent)
    return outcome
