"""Callbacks: citizens who left a message are called back by an agent.

Claiming is one conditional UPDATE, so two workers never get the same callback. Dialling
rings the agent's phone first (AMI Originate into the `tongdai-callback` context, which
plays the voicemail to the agent), then the citizen over the trunk with caller ID 1022,
recorded. No answer or busy is retried `attempts` times, `retry_minutes` apart, only inside
the calling window; then the callback is closed as unreachable.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, UTC
from zoneinfo import ZoneInfo

from acd.ami import AmiClient
from acd.frames import Frame
from config import Site
from db import store
from db.queries import callbacks as books
from db.queries.callbacks import CallbackError, CallbackView
from db.types import Database
from db.clock import utcnow
from ivr import phone

OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "resolved")
RETRY = ("no_answer", "busy")
DIAL_STATUS = {"ANSWER": "reached", "NOANSWER": "no_answer", "BUSY": "busy", "CONGESTION": "no_answer",
               "CHANUNAVAIL": "no_answer", "CANCEL": "no_answer"}
__all__ = ["CallbackError", "CallbackView", "listing", "history", "view", "claim", "next_try", "record_outcome",
           "dial"]


def listing(db: Database, states: tuple[str, ...] = ("pending", "claimed")) -> list[CallbackView]:
    """Callbacks in these states, in the order the callers reached the hotline's queue."""
    return books.listing(db, states)


def history(db: Database, limit: int = 200) -> list[CallbackView]:
    """Finished callbacks (done or unreachable), the most recently finished first."""
    return books.history(db, limit)


def view(db: Database, callback_id: int) -> CallbackView | None:
    return books.view(db, callback_id)


def claim(db: Database, callback_id: int, agent: str) -> bool:
    """Atomic: exactly one of several concurrent claims wins."""
    return books.claim(db, callback_id, agent, utcnow())


def next_try(site: Site, now: datetime) -> datetime:
    """now + retry_minutes, moved into the calling window (naive UTC in and out)."""
    tz = ZoneInfo(site.timezone)
    local = (now + timedelta(minutes=site.callbacks.retry_minutes)).replace(tzinfo=UTC).astimezone(tz)
    start, end = site.callbacks.window
    minute = local.hour * 60 + local.minute
    if minute >= end:
        local = datetime.combine(local.date() + timedelta(days=1), time(start // 60, start % 60), tz)
    elif minute < start:
        local = datetime.combine(local.date(), time(start // 60, start % 60), tz)
    return local.astimezone(UTC).replace(tzinfo=None)


def record_outcome(site: Site, db: Database, callback_id: int, outcome: str, by: str) -> CallbackView | None:
    if outcome not in OUTCOMES:
        raise CallbackError(f"outcome must be one of {', '.join(OUTCOMES)}", "outcome", choices=", ".join(OUTCOMES))
    now = utcnow()
    done = books.settle(db, callback_id, outcome, now, outcome in RETRY, site.callbacks.attempts, next_try(site, now))
    store.add_call_event(db, _uniqueid(db, done.ticket), "callback",
                         {"outcome": outcome, "by": by, "attempt": done.attempts, "state": done.state})
    return view(db, callback_id)


def _uniqueid(db: Database, code: str) -> str:
    ticket = store.get_ticket(db, code)
    return ticket.call.uniqueid if ticket and ticket.call else ""


def _voicemail(db: Database, site: Site, ticket_code: str) -> str:
    path = books.voicemail_path(db, ticket_code)
    return str((site.paths.recordings / path).with_suffix("")) if path else ""


async def dial(site: Site, db: Database, ami: AmiClient, callback_id: int, agent_seat: str, agent: str,
               timeout: float = 120) -> str | None:
    """Ring the agent, then the citizen; returns the outcome recorded (None if the agent did not
    take the call: the callback stays claimed, no attempt is counted)."""
    cb = view(db, callback_id)
    if cb is None or cb.state not in ("pending", "claimed"):
        raise CallbackError(f"no open callback {callback_id}", "not_open", id=callback_id)
    if not phone.valid(cb.number):
        raise CallbackError(f"callback {callback_id}: {cb.number!r} is not a callable Vietnamese number",
                            "bad_number", id=callback_id, number=cb.number)
    done: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def watch(frame: Frame) -> None:
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


async def _dial(site: Site, db: Database, ami: AmiClient, cb: CallbackView, agent_seat: str, agent: str,
                done: asyncio.Future[str | None], timeout: float) -> str | None:
    callback_id = cb.id
    variables = {"TONGDAI_CB_ID": str(callback_id), "TONGDAI_TICKET": cb.ticket,
                 "TONGDAI_CB_NUMBER": phone.national(cb.number), "TONGDAI_VM": _voicemail(db, site, cb.ticket),
                 "TONGDAI_CB_RING": str(site.callbacks.ring_timeout)}
    reply = await ami.action("Originate", Channel=agent_seat, Context="tongdai-callback", Exten="s", Priority="1",
                             CallerID=f'"Callback {site.hotline}" <{site.hotline}>', Timeout="30000", Async="true",
                             Variable=",".join(f"{k}={v}" for k, v in variables.items()))
    if reply.get("Response") != "Success":
        raise CallbackError(f"Originate: {reply.get('Message')}", "dial_failed", id=callback_id,
                            reason=reply.get("Message") or "")
    status = await asyncio.wait_for(done, timeout)
    if status is None:
        return None
    outcome = DIAL_STATUS.get(status, "no_answer")
    record_outcome(site, db, callback_id, outcome, agent)
    return outcome
