"""The ticket book: call flows record tickets and events without waiting for the database.

Flows append operations to an in-memory list (never blocking, never holding a
transaction across an AGI await); one writer task commits them in batches, one short
transaction per batch, in a worker thread. When the database is unavailable the call goes
on, the operations wait in order and are retried with back-off; at shutdown what is still
unwritten goes to a spool file that the next start replays first.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.clock import utcnow as utcnow  # re-exported for callers that import it from here
from db.numbers import TicketNumbers
from db.models import CASE_STATUSES, AgentState, Audit, Call, Callback, Recording, Ticket, TicketEvent

log = logging.getLogger("tongdai.tickets")
BATCH = 500


@dataclass
class Op:
    kind: str  # create | event | update (the ticket) | call (the call row) | agent (state) | audit
    code: str
    at: str
    data: dict[str, Any] = field(default_factory=dict)


class TicketHandle:
    """One call's ticket, as the flow sees it. Every method returns at once."""

    def __init__(self, book: TicketBook, code: str, uniqueid: str):
        self.book, self.code, self.uniqueid = book, code, uniqueid
        self.closed = False

    def event(self, kind: str, **detail: Any) -> None:
        self.book.push(Op("event", self.code, utcnow().isoformat(), {"kind": kind, "detail": detail or None}))

    def update(self, **fields: Any) -> None:
        self.book.push(Op("update", self.code, utcnow().isoformat(), fields))

    def call(self, **fields: Any) -> None:
        """Set columns of the call row (answered_at, linkedid, hangup_cause, language...)."""
        self.book.push(Op("call", self.code, utcnow().isoformat(), fields))

    def answered(self) -> None:
        self.call(answered_at=utcnow().isoformat())

    def close(self, status: str = "closed", **call_fields: Any) -> None:
        """The call is over: set the ticket's final status and stamp the call's end."""
        if self.closed:
            return
        self.closed = True
        now = utcnow().isoformat()
        # a status an agent already set while talking (open, forwarded, resolved) is kept
        self.book.push(Op("update", self.code, now, {"status": status, "closed_at": now, "_unless_set": True}))
        self.call(ended_at=now, **call_fields)


class TicketBook:
    def __init__(self, engine: Engine, hotline: str, tz: str, spool: Path):
        self.engine, self.hotline, self.tz, self.spool = engine, hotline, ZoneInfo(tz), spool
        self.pending: list[Op] = []
        self.wake = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()
        self.numbers = TicketNumbers(engine, hotline, self.tz)
        self.ids: dict[str, tuple[int, int | None]] = {}  # code -> (ticket id, call id), once written
        self.codes: dict[str, str] = {}  # uniqueid -> ticket code, for events that come over AMI
        self.audits: dict[str, int] = {}
        self.closing = False
        self.stopping = asyncio.Event()
        self.failures = 0
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.spool.exists():
            saved = [Op(**json.loads(line)) for line in self.spool.read_text().splitlines() if line.strip()]
            for op in saved:
                if op.kind == "create":  # may have landed before the shutdown: created idempotently
                    op.data["replayed"] = True
            self.pending[:0] = saved
            self.spool.unlink()
            log.info("replaying %d ticket operations kept from the last run", len(saved))
        await self.numbers.start()  # the database down: numbers come from the clock until it is back
        self.task = asyncio.create_task(self._run(), name="ticket-writer")
        self._kick()

    def open(self, uniqueid: str, caller_number: str, caller_name: str, channel: str = "", dnid: str = "",
             linkedid: str = "", language: str = "vi") -> TicketHandle:
        code = self.numbers.take(datetime.now(self.tz))
        now = utcnow().isoformat()
        self.codes[uniqueid] = code
        if len(self.codes) > 50000:  # keep the recent calls only
            for old in list(self.codes)[:10000]:
                del self.codes[old]
        self.push(Op("create", code, now, dict(uniqueid=uniqueid, caller_number=caller_number,
                                               caller_name=caller_name, channel=channel, dnid=dnid,
                                               linkedid=linkedid, language=language)))
        return TicketHandle(self, code, uniqueid)

    def handle(self, uniqueid: str) -> TicketHandle | None:
        """The ticket of a call this engine opened, for events that arrive over AMI."""
        code = self.codes.get(uniqueid)
        return TicketHandle(self, code, uniqueid) if code else None

    def agent_state(self, agent: str, state: str, reason: str | None, at: datetime) -> None:
        """Close the agent's open interval and open the next (none after logged_out)."""
        self.push(Op("agent", "", at.isoformat(), {"agent": agent, "state": state, "reason": reason}))

    def audit(self, actor: str, action: str, target: str | None = None, call: str | None = None,
              **detail: Any) -> str:
        """An audit row; returns its key for `audit_end`."""
        key = f"audit-{actor}-{action}-{time.monotonic_ns()}"
        self.push(Op("audit", key, utcnow().isoformat(), {"actor": actor, "action": action, "target": target,
                                                          "call": call, "detail": detail or None}))
        return key

    def audit_end(self, key: str) -> None:
        self.push(Op("audit_end", key, utcnow().isoformat()))

    def audit_end_by(self, actor: str, actions: tuple[str, ...]) -> None:
        """End the actor's open audit rows of these actions (e.g. a spy started from the CLI)."""
        self.push(Op("audit_end_by", actor, utcnow().isoformat(), {"actions": list(actions)}))

    def recording(self, code: str, kind: str, stored: Any) -> None:
        self.push(Op("recording", code, utcnow().isoformat(), {"kind": kind, "path": stored.path,
                                                              "sha256": stored.sha256, "bytes": stored.bytes,
                                                              "duration_s": stored.duration_s, "flag": stored.flag}))

    def callback(self, code: str, number: str, language: str, due_at: datetime, queue: str | None = None,
                 queued_at: datetime | None = None) -> None:
        """A callback row; `queued_at` is the caller's place in line (callbacks are worked in its order)."""
        self.push(Op("callback", code, (queued_at or utcnow()).isoformat(), {
            "number": number, "language": language, "queue": queue, "due_at": due_at.isoformat()}))

    def push(self, op: Op) -> None:
        self.pending.append(op)
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
            self.wake.clear()
            while self.pending and not self.closing:
                batch = self.pending[:BATCH]
                try:
                    ids = await asyncio.to_thread(self._write, batch)
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
                self.ids.update(ids)
                del self.pending[:len(batch)]
            if not self.pending:
                self.idle.set()

    def _write(self, batch: list[Op]) -> dict[str, tuple[int, int | None]]:
        ids: dict[str, tuple[int, int | None]] = {}
        with Session(self.engine) as s, s.begin():
            for op in batch:
                at = datetime.fromisoformat(op.at)
                if op.kind == "create":
                    d = op.data
                    known = d.get("replayed") and s.execute(
                        select(Ticket.id, Ticket.call_id).where(Ticket.code == op.code)).first()
                    if known:  # replayed from the spool after a write that did land
                        ids[op.code] = (known[0], known[1])
                        continue
                    call = Call(uniqueid=d["uniqueid"], linkedid=d["linkedid"] or None, channel=d["channel"],
                                caller_number=d["caller_number"], caller_name=d["caller_name"], dnid=d["dnid"],
                                started_at=at, language=d["language"])
                    s.add(call)
                    s.flush()
                    ticket = Ticket(code=op.code, call_id=call.id, status="in_call", priority=3, created_at=at)
                    s.add(ticket)
                    s.flush()
                    ids[op.code] = (ticket.id, call.id)
                    continue
                if op.kind == "agent":
                    d = op.data
                    s.execute(update(AgentState).where(AgentState.agent == d["agent"], AgentState.ended_at.is_(None))
                              .values(ended_at=at))
                    if d["state"] != "logged_out":
                        s.add(AgentState(agent=d["agent"], state=d["state"], reason=d["reason"], started_at=at))
                    continue
                if op.kind == "audit":
                    d = op.data
                    row = Audit(at=at, actor=d["actor"], action=d["action"], target=d["target"], call=d["call"],
                                detail=json.dumps(d["detail"], ensure_ascii=False) if d["detail"] else None)
                    s.add(row)
                    s.flush()
                    self.audits[op.code] = row.id
                    continue
                if op.kind == "audit_end_by":
                    s.execute(update(Audit).where(Audit.actor == op.code, Audit.ended_at.is_(None),
                                                  Audit.action.in_(op.data["actions"])).values(ended_at=at))
                    continue
                if op.kind == "audit_end":
                    if op.code in self.audits:
                        s.execute(update(Audit).where(Audit.id == self.audits.pop(op.code)).values(ended_at=at))
                    continue
                tid, cid = ids.get(op.code) or self.ids.get(op.code) or self._lookup(s, op.code)
                if op.kind == "recording":
                    d = op.data
                    s.add(Recording(ticket_id=tid, kind=d["kind"], path=d["path"], sha256=d["sha256"], bytes=d["bytes"],
                                    duration_s=d["duration_s"], status="flagged" if d["flag"] else "ok",
                                    flag=d["flag"], created_at=at))
                elif op.kind == "callback":
                    d = op.data
                    s.add(Callback(ticket_id=tid, number=d["number"], language=d["language"], queue=d["queue"],
                                   queued_at=at, due_at=datetime.fromisoformat(d["due_at"]), attempts=0,
                                   state="pending", updated_at=at))
                elif op.kind == "event":
                    s.add(TicketEvent(ticket_id=tid, at=at, kind=op.data["kind"],
                                      detail=json.dumps(op.data["detail"], ensure_ascii=False)
                                      if op.data["detail"] else None))
                elif op.kind == "update":
                    values = {k: (datetime.fromisoformat(v) if k.endswith("_at") else v) for k, v in op.data.items()
                              if k != "_unless_set"}
                    if op.data.get("_unless_set"):
                        s.execute(update(Ticket).where(Ticket.id == tid, Ticket.status.not_in(CASE_STATUSES))
                                  .values(status=values.pop("status")))
                    s.execute(update(Ticket).where(Ticket.id == tid).values(**values))
                elif op.kind == "call":
                    values = {k: (datetime.fromisoformat(v) if k.endswith("_at") and v else v)
                              for k, v in op.data.items()}
                    s.execute(update(Call).where(Call.id == cid).values(**values))
        return ids

    @staticmethod
    def _lookup(s: Session, code: str) -> tuple[int, int | None]:
        row = s.execute(select(Ticket.id, Ticket.call_id).where(Ticket.code == code)).one()
        return row[0], row[1]

    async def flush(self, timeout: float = 10) -> bool:
        """Wait until every operation is written; False if the database did not allow it in time."""
        try:
            await asyncio.wait_for(self.idle.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def close(self, timeout: float = 10) -> None:
        written = await self.flush(timeout)
        self.closing = True
        self.stopping.set()
        self.wake.set()
        if self.task:
            await self.task
        if not written and self.pending:
            self.spool.parent.mkdir(parents=True, exist_ok=True)
            with self.spool.open("a") as f:
                f.writelines(json.dumps(asdict(op), ensure_ascii=False) + "\n" for op in self.pending)
            log.error("database unavailable: %d ticket operations kept in %s for the next start",
                      len(self.pending), self.spool)
