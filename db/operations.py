"""Writes as typed operations: frozen dataclasses that apply themselves to a session.

The ticket writer queues, batches, retries and spools them (`db.writer`); the console and the
CLI apply the same operations at once (`apply_now`), so one ticket's rows are written by one
piece of code whoever writes them. Times are `datetime`s (naive UTC) from end to end: the
spool file tags them explicitly, nothing is guessed from a key's name.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.models import CASE_STATUSES, AgentState, Audit, Call, Callback, Recording, Ticket, TicketEvent

# Our UPDATEs leave the session's objects as they are: nothing reads them after the write. By default
# the ORM evaluates each UPDATE's WHERE against every object the session holds (the batch's calls,
# tickets and events), so a batch cost grew with the square of its size.
UNSYNCED = {"synchronize_session": False}


@dataclass
class Written:
    """What one writer remembers across batches: ticket/call ids by code, open audit rows by key."""

    ids: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    audits: dict[str, int] = field(default_factory=dict)

    def ticket(self, s: Session, code: str) -> tuple[int, int | None]:
        if code not in self.ids:
            row = s.execute(select(Ticket.id, Ticket.call_id).where(Ticket.code == code)).one()
            self.ids[code] = (row[0], row[1])
        return self.ids[code]


class Operation:
    kinds: ClassVar[dict[str, type[Operation]]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        Operation.kinds[cls.__name__] = cls

    def apply(self, s: Session, written: Written) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class OpenTicket(Operation):
    code: str
    at: datetime
    uniqueid: str
    caller_number: str
    caller_name: str
    channel: str = ""
    dnid: str = ""
    linkedid: str = ""
    language: str = "vi"
    replayed: bool = False  # from the spool: it may have landed before the shutdown

    def apply(self, s: Session, written: Written) -> None:
        if self.replayed:
            known = s.execute(select(Ticket.id, Ticket.call_id).where(Ticket.code == self.code)).first()
            if known:
                written.ids[self.code] = (known[0], known[1])
                return
        call = Call(uniqueid=self.uniqueid, linkedid=self.linkedid or None, channel=self.channel,
                    caller_number=self.caller_number, caller_name=self.caller_name, dnid=self.dnid,
                    started_at=self.at, language=self.language)
        s.add(call)
        s.flush()
        ticket = Ticket(code=self.code, call_id=call.id, status="in_call", priority=3, created_at=self.at)
        s.add(ticket)
        s.flush()
        written.ids[self.code] = (ticket.id, call.id)


@dataclass(frozen=True)
class AddEvent(Operation):
    code: str
    at: datetime
    kind: str
    detail: dict[str, Any] | None = None

    def apply(self, s: Session, written: Written) -> None:
        tid, _ = written.ticket(s, self.code)
        s.add(TicketEvent(ticket_id=tid, at=self.at, kind=self.kind,
                          detail=json.dumps(self.detail, ensure_ascii=False) if self.detail else None))


@dataclass(frozen=True)
class SetTicket(Operation):
    code: str
    at: datetime
    values: dict[str, Any]  # Ticket columns, already typed (datetimes are datetimes)

    def apply(self, s: Session, written: Written) -> None:
        tid, _ = written.ticket(s, self.code)
        s.execute(update(Ticket).where(Ticket.id == tid).values(**self.values), execution_options=UNSYNCED)


@dataclass(frozen=True)
class CloseTicket(Operation):
    """The call is over: its final status, unless an agent set a case status while talking. A call
    an agent answered (the ticket has an agent) gets `answered_status` instead, when given: the
    site's status after a call (a report stays open for the agency, a question is closed)."""

    code: str
    at: datetime
    status: str
    answered_status: str | None = None

    def apply(self, s: Session, written: Written) -> None:
        tid, _ = written.ticket(s, self.code)
        unset = (Ticket.id == tid, Ticket.status.not_in(CASE_STATUSES))
        if self.answered_status:
            s.execute(update(Ticket).where(*unset, Ticket.agent.is_not(None)).values(status=self.answered_status),
                      execution_options=UNSYNCED)
        s.execute(update(Ticket).where(*unset).values(status=self.status), execution_options=UNSYNCED)
        s.execute(update(Ticket).where(Ticket.id == tid).values(closed_at=self.at), execution_options=UNSYNCED)


@dataclass(frozen=True)
class SetCall(Operation):
    code: str
    at: datetime
    values: dict[str, Any]  # Call columns (answered_at, ended_at, linkedid, hangup_cause, language...)

    def apply(self, s: Session, written: Written) -> None:
        _, cid = written.ticket(s, self.code)
        s.execute(update(Call).where(Call.id == cid).values(**self.values), execution_options=UNSYNCED)


@dataclass(frozen=True)
class AgentInterval(Operation):
    """Close the agent's open state interval and open the next (none after logged_out)."""

    agent: str
    state: str
    reason: str | None
    at: datetime

    def apply(self, s: Session, written: Written) -> None:
        s.execute(update(AgentState).where(AgentState.agent == self.agent, AgentState.ended_at.is_(None))
                  .values(ended_at=self.at), execution_options=UNSYNCED)
        if self.state != "logged_out":
            s.add(AgentState(agent=self.agent, state=self.state, reason=self.reason, started_at=self.at))


@dataclass(frozen=True)
class AuditStart(Operation):
    key: str  # to end it later (AuditEnd)
    at: datetime
    actor: str
    action: str
    target: str | None = None
    call: str | None = None
    detail: dict[str, Any] | None = None

    def apply(self, s: Session, written: Written) -> None:
        row = Audit(at=self.at, actor=self.actor, action=self.action, target=self.target, call=self.call,
                    detail=json.dumps(self.detail, ensure_ascii=False) if self.detail else None)
        s.add(row)
        s.flush()
        written.audits[self.key] = row.id


@dataclass(frozen=True)
class AuditEnd(Operation):
    key: str
    at: datetime

    def apply(self, s: Session, written: Written) -> None:
        if self.key in written.audits:
            s.execute(update(Audit).where(Audit.id == written.audits.pop(self.key)).values(ended_at=self.at),
                      execution_options=UNSYNCED)


@dataclass(frozen=True)
class AuditEndBy(Operation):
    """End the actor's open audit rows of these actions (a spy started from the CLI, say)."""

    actor: str
    actions: tuple[str, ...]
    at: datetime

    def apply(self, s: Session, written: Written) -> None:
        s.execute(update(Audit).where(Audit.actor == self.actor, Audit.ended_at.is_(None),
                                      Audit.action.in_(self.actions)).values(ended_at=self.at),
                  execution_options=UNSYNCED)


@dataclass(frozen=True)
class AddRecording(Operation):
    code: str
    at: datetime
    kind: str  # call | voicemail | callback
    path: str
    sha256: str | None
    bytes: int
    duration_s: float | None
    flag: str | None

    def apply(self, s: Session, written: Written) -> None:
        tid, _ = written.ticket(s, self.code)
        s.add(Recording(ticket_id=tid, kind=self.kind, path=self.path, sha256=self.sha256, bytes=self.bytes,
                        duration_s=self.duration_s, status="flagged" if self.flag else "ok", flag=self.flag,
                        created_at=self.at))


@dataclass(frozen=True)
class AddCallback(Operation):
    code: str
    queued_at: datetime  # the caller's place in line: callbacks are worked in this order
    number: str
    language: str
    due_at: datetime
    queue: str | None = None

    def apply(self, s: Session, written: Written) -> None:
        tid, _ = written.ticket(s, self.code)
        s.add(Callback(ticket_id=tid, number=self.number, language=self.language, queue=self.queue,
                       queued_at=self.queued_at, due_at=self.due_at, attempts=0, state="pending",
                       updated_at=self.queued_at))


def apply_now(engine: Engine, *ops: Operation) -> Written:
    """Apply operations in one transaction, now (the console and the CLI)."""
    written = Written()
    with Session(engine) as s, s.begin():
        for op in ops:
            op.apply(s, written)
    return written
