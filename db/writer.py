"""The ticket book: call flows record tickets and events without waiting for the database.

Flows append typed operations (`db.operations`) to an in-memory list (never blocking, never
holding a transaction across an AGI await); one writer task applies them in batches, one
short transaction per batch, in a worker thread. When the database is unavailable the call
goes on, the operations wait in order and are retried with back-off; at shutdown what is still
unwritten goes to a spool file that the next start replays first.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db import operations as ops
from db.clock import utcnow
from db.numbers import TicketNumbers
from db.spool import read_spool, write_spool

log = logging.getLogger("tongdai.tickets")
BATCH = 500
GATHER_S = 0.1  # how long the writer lets operations gather before a transaction


Setting = TypeVar("Setting", ops.SetTicket, ops.SetCall)


def _merged(before: Setting | None, op: Setting) -> Setting:
    return op if before is None else dataclasses.replace(op, values={**before.values, **op.values})


class TicketHandle:
    """One call's ticket, as the flow sees it. Every method returns at once."""

    def __init__(self, book: TicketBook, code: str, uniqueid: str):
        self.book, self.code, self.uniqueid = book, code, uniqueid
        self.closed = False

    def event(self, kind: str, **detail: Any) -> None:
        self.book.push(ops.AddEvent(self.code, utcnow(), kind, detail or None))

    def update(self, **values: Any) -> None:
        """Set columns of the ticket (typed values: datetimes are datetimes)."""
        self.book.push(ops.SetTicket(self.code, utcnow(), values))

    def call(self, **values: Any) -> None:
        """Set columns of the call row (answered_at, linkedid, hangup_cause, language...)."""
        self.book.push(ops.SetCall(self.code, utcnow(), values))

    def answered(self) -> None:
        self.call(answered_at=utcnow())

    def close(self, status: str = "closed", answered_status: str | None = None, **call_values: Any) -> None:
        """The call is over: its final status (an agent's case status is kept; `answered_status` if an
        agent answered) and the call's end."""
        if self.closed:
            return
        self.closed = True
        now = utcnow()
        self.book.push(ops.CloseTicket(self.code, now, status, answered_status))
        self.call(ended_at=now, **call_values)


class TicketBook:
    def __init__(self, engine: Engine, hotline: str, tz: str, spool: Path):
        self.engine, self.hotline, self.tz, self.spool = engine, hotline, ZoneInfo(tz), spool
        self.pending: list[ops.Operation] = []
        self.wake = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()
        # operations ever pushed and ever written: `flush` waits for the count pushed when it was called
        self.pushed = 0
        self.done = 0
        self.progress = asyncio.Event()
        self.numbers = TicketNumbers(engine, hotline, self.tz)
        self.written = ops.Written()  # ticket/call ids and open audit rows, once written
        self.codes: dict[str, str] = {}  # uniqueid -> ticket code, for events that come over AMI
        self.closing = False
        self.stopping = asyncio.Event()
        self.failures = 0
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.spool.exists():
            saved = read_spool(self.spool)
            self.pending[:0] = saved
            self.pushed += len(saved)
            self.spool.unlink()
            log.info("replaying %d ticket operations kept from the last run", len(saved))
        await self.numbers.start()  # the database down: numbers come from the clock until it is back
        self.task = asyncio.create_task(self._run(), name="ticket-writer")
        self._kick()

    def open(self, uniqueid: str, caller_number: str, caller_name: str, channel: str = "", dnid: str = "",
             linkedid: str = "", language: str = "vi") -> TicketHandle:
        code = self.numbers.take(datetime.now(self.tz))
        self.codes[uniqueid] = code
        if len(self.codes) > 50000:  # keep the recent calls only
            for old in list(self.codes)[:10000]:
                del self.codes[old]
        self.push(ops.OpenTicket(code, utcnow(), uniqueid, caller_number, caller_name, channel, dnid, linkedid,
                                 language))
        return TicketHandle(self, code, uniqueid)

    def handle(self, uniqueid: str) -> TicketHandle | None:
        """The ticket of a call this engine opened, for events that arrive over AMI."""
        code = self.codes.get(uniqueid)
        return TicketHandle(self, code, uniqueid) if code else None

    def agent_state(self, agent: str, state: str, reason: str | None, at: datetime) -> None:
        """Close the agent's open interval and open the next (none after logged_out)."""
        self.push(ops.AgentInterval(agent, state, reason, at))

    def audit(self, actor: str, action: str, target: str | None = None, call: str | None = None,
              **detail: Any) -> str:
        """An audit row; returns its key for `audit_end`."""
        key = f"audit-{actor}-{action}-{time.monotonic_ns()}"
        self.push(ops.AuditStart(key, utcnow(), actor, action, target, call, detail or None))
        return key

    def audit_end(self, key: str) -> None:
        self.push(ops.AuditEnd(key, utcnow()))

    def audit_end_by(self, actor: str, actions: tuple[str, ...]) -> None:
        """End the actor's open audit rows of these actions (e.g. a spy started from the CLI)."""
        self.push(ops.AuditEndBy(actor, tuple(actions), utcnow()))

    def recording(self, code: str, kind: str, stored: Any) -> None:
        """`stored`: what `recordings.store.take` returns (path, sha256, bytes, duration_s, flag)."""
        self.push(ops.AddRecording(code, utcnow(), kind, stored.path, stored.sha256, stored.bytes, stored.duration_s,
                                   stored.flag))

    def callback(self, code: str, number: str, language: str, due_at: datetime, queue: str | None = None,
                 queued_at: datetime | None = None) -> None:
        """A callback row; `queued_at` is the caller's place in line (callbacks are worked in its order)."""
        self.push(ops.AddCallback(code, queued_at or utcnow(), number, language, due_at, queue))

    def push(self, op: ops.Operation) -> None:
        self.pending.append(op)
        self.pushed += 1
        self._kick()

    def _kick(self) -> None:
        if self.pending:
            self.idle.clear()
        self.wake.set()

    async def _run(self) -> None:
        """Write batches until closed. A write in progress is never interrupted: at shutdown
        the loop ends after it, so nothing is both written and spooled."""
        delay = 0.5
        while not self.closing:
            await self.wake.wait()
            if len(self.pending) < BATCH and not self.stopping.is_set():
                # gather what the next moment brings: under load a call's operations arrive a few at
                # a time, and each transaction costs as much as its statements
                try:
                    await asyncio.wait_for(self.stopping.wait(), GATHER_S)
                except TimeoutError:
                    pass
            self.wake.clear()
            while self.pending and not self.closing:
                batch = self.pending[:BATCH]
                try:
                    written = await asyncio.to_thread(self._write, batch)
                except SQLAlchemyError as e:
                    self.failures += 1
                    log.warning("database write failed (%d operations waiting, retry in %.1f s): %s",
                                len(self.pending), delay, str(e).splitlines()[0])
                    try:
                        await asyncio.wait_for(self.stopping.wait(), delay)
                    except TimeoutError:
                        pass  # back-off over: try again
                    delay = min(delay * 2, 10)
                    continue
                delay = 0.5
                self.written = written
                del self.pending[:len(batch)]
                self.done += len(batch)
                self.progress.set()
            if not self.pending:
                self.idle.set()

    def _write(self, batch: list[ops.Operation]) -> ops.Written:
        """One transaction; what it learns (ids, audit rows) is kept only if it commits."""
        written = dataclasses.replace(self.written, ids=dict(self.written.ids), audits=dict(self.written.audits))
        events: list[dict[str, Any]] = []  # inserted together at the end, in their order
        # A call's column settings in a batch become one UPDATE per row, later values winning as they
        # would one after the other. Only closing a ticket reads its columns (status, agent): the
        # ticket's settings so far are written just before it. Nothing in a batch reads the call row.
        tickets: dict[str, ops.SetTicket] = {}
        calls: dict[str, ops.SetCall] = {}
        with Session(self.engine) as s, s.begin():
            for op in batch:
                if isinstance(op, ops.AddEvent):
                    events.append(op.row(s, written))
                elif isinstance(op, ops.SetTicket):
                    tickets[op.code] = _merged(tickets.get(op.code), op)
                elif isinstance(op, ops.SetCall):
                    calls[op.code] = _merged(calls.get(op.code), op)
                else:
                    if isinstance(op, ops.CloseTicket) and op.code in tickets:
                        tickets.pop(op.code).apply(s, written)
                    op.apply(s, written)
            for pending in (*tickets.values(), *calls.values()):
                pending.apply(s, written)
            if events:
                ops.insert_events(s, events)
        return written

    async def flush(self, timeout: float = 10) -> bool:
        """Wait until every operation pushed so far is written; False if the database did not allow
        it in time. Operations pushed meanwhile are not waited for: under load the book is never idle,
        and a recording waiting for its call's end waited its whole timeout."""
        target = self.pushed

        async def caught_up() -> None:
            while self.done < target:
                self.progress.clear()
                await self.progress.wait()

        try:
            await asyncio.wait_for(caught_up(), timeout)
            return True
        except TimeoutError:
            return False

    async def close(self, timeout: float = 10) -> None:
        await self.flush(timeout)
        self.closing = True
        self.stopping.set()
        self.wake.set()
        if self.task:
            await self.task
        if self.pending:  # not written in time, or pushed after the flush: the next start replays it
            write_spool(self.spool, self.pending)
