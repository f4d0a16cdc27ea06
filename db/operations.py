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
from typing import Any, ClassVar, cast

from sqlalchemy import Engine, Table, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from db.models import CASE_STATUSES, AgentState, Audit, Call, Callback, Recording, Ticket, TicketEvent

# The writer applies some twenty operations per call. Built and run through the ORM, each cost a new
# statement, its cache key, an ORM execution (evaluating its WHERE against every object the session
# held) and unit-of-work flushes: most of the engine's CPU per call. These are plain statements on
# the tables, built once with bind parameters; nothing reads the session's objects after a write.
CALLS, TICKETS, EVENTS, STATES, AUDITS, RECORDINGS, CALLBACKS = (
    cast(Table, m.__table__) for m in (Call, Ticket, TicketEvent, AgentState, Audit, Recording, Callback))
_UNSET = (TICKETS.c.id == bindparam("row_id"), TICKETS.c.status.not_in(CASE_STATUSES))
_STATUS = bindparam("new_status", type_=TICKETS.c.status.type)
_CLOSE_ANSWERED = update(TICKETS).where(*_UNSET, TICKETS.c.agent.is_not(None)).values(status=_STATUS)
_CLOSE_UNSET = update(TICKETS).where(*_UNSET).values(status=_STATUS)
_END_STATE = update(STATES).where(STATES.c.agent == bindparam("of_agent"), STATES.c.ended_at.is_(None)).values(
    ended_at=bindparam("new_ended_at", type_=STATES.c.ended_at.type))
_SETS: dict[tuple[str, tuple[str, ...]], Update] = {}


def _set(s: Session, table: Table, row_id: int | None, values: dict[str, Any]) -> None:
    """UPDATE table SET values WHERE id = row_id, with one statement per table and set of columns."""
    keys = tuple(sorted(values))
    stmt = _SETS.get((table.name, keys))
    if stmt is None:
        stmt = _SETS[(table.name, keys)] = update(table).where(table.c.id == bindparam("row_id")).values(
            {k: bindparam(f"new_{k}", type_=table.c[k].type) for k in keys})
    s.connection().execute(stmt, {"row_id": row_id, **{f"new_{k}": v for k, v in values.items()}})


def _insert(s: Session, table: Table, **values: Any) -> int:
    """INSERT a row; returns its id."""
    key = s.connection().execute(insert(table), values).inserted_primary_key
    if key is None:  # every table here has an integer primary key: the database gives it back
        raise RuntimeError(f"no id for the new row of {table.name}")
    return int(key[0])


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
        call = _insert(s, CALLS, uniqueid=self.uniqueid, linkedid=self.linkedid or None, channel=self.channel,
                       caller_number=self.caller_number, caller_name=self.caller_name, dnid=self.dnid,
                       started_at=self.at, language=self.language)
        ticket = _insert(s, TICKETS, code=self.code, call_id=call, status="in_call", priority=3, created_at=self.at)
        written.ids[self.code] = (ticket, call)


@dataclass(frozen=True)
class AddEvent(Operation):
    code: str
    at: datetime
    kind: str
    detail: dict[str, Any] | None = None

    def apply(self, s: Session, written: Written) -> None:
        insert_events(s, [self.row(s, written)])

    def row(self, s: Session, written: Written) -> dict[str, Any]:
        tid, _ = written.ticket(s, self.code)
        return {"ticket_id": tid, "at": self.at, "kind": self.kind,
                "detail": json.dumps(self.detail, ensure_ascii=False) if self.detail else None}


def insert_events(s: Session, rows: list[dict[str, Any]]) -> None:
    """Events in one statement (executemany): the writer gathers a batch's, nothing reads them before it ends."""
    s.connection().execute(insert(EVENTS), rows)


@dataclass(frozen=True)
class SetTicket(Operation):
    code: str
    at: datetime
    values: dict[str, Any]  # Ticket columns, already typed (datetimes are datetimes)

    def apply(self, s: Session, written: Written) -> None:
        tid, _ = written.ticket(s, self.code)
        _set(s, TICKETS, tid, self.values)


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
        if self.answered_status:
            s.connection().execute(_CLOSE_ANSWERED, {"row_id": tid, "new_status": self.answered_status})
        s.connection().execute(_CLOSE_UNSET, {"row_id": tid, "new_status": self.status})
        _set(s, TICKETS, tid, {"closed_at": self.at})


@dataclass(frozen=True)
class SetCall(Operation):
    code: str
    at: datetime
    values: dict[str, Any]  # Call columns (answered_at, ended_at, linkedid, hangup_cause, language...)

    def apply(self, s: Session, written: Written) -> None:
        _, cid = written.ticket(s, self.code)
        _set(s, CALLS, cid, self.values)


@dataclass(frozen=True)
class AgentInterval(Operation):
    """Close the agent's open state interval and open the next (none after logged_out)."""

    agent: str
    state: str
    reason: str | None
    at: datetime

    def apply(self, s: Session, written: Written) -> None:
        s.connection().execute(_END_STATE, {"of_agent": self.agent, "new_ended_at": self.at})
        if self.state != "logged_out":
            _insert(s, STATES, agent=self.agent, state=self.state, reason=self.reason, started_at=self.at)


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
        written.audits[self.key] = _insert(s, AUDITS, at=self.at, actor=self.actor, action=self.action,
                                           target=self.target, call=self.call,
                                           detail=json.dumps(self.detail, ensure_ascii=False) if self.detail else None)


@dataclass(frozen=True)
class AuditEnd(Operation):
    key: str
    at: datetime

    def apply(self, s: Session, written: Written) -> None:
        if self.key in written.audits:
            _set(s, AUDITS, written.audits.pop(self.key), {"ended_at": self.at})


@dataclass(frozen=True)
class AuditEndBy(Operation):
    """End the actor's open audit rows of these actions (a spy started from the CLI, say)."""

    actor: str
    actions: tuple[str, ...]
    at: datetime

    def apply(self, s: Session, written: Written) -> None:
        s.connection().execute(update(AUDITS).where(AUDITS.c.actor == self.actor, AUDITS.c.ended_at.is_(None),
                                                    AUDITS.c.action.in_(self.actions)).values(ended_at=self.at))


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
        _insert(s, RECORDINGS, ticket_id=tid, kind=self.kind, path=self.path, sha256=self.sha256, bytes=self.bytes,
                duration_s=self.duration_s, status="flagged" if self.flag else "ok", flag=self.flag, created_at=self.at)


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
        _insert(s, CALLBACKS, ticket_id=tid, number=self.number, language=self.language, queue=self.queue,
                queued_at=self.queued_at, due_at=self.due_at, attempts=0, state="pending", updated_at=self.queued_at)


def apply_now(engine: Engine, *ops: Operation) -> Written:
    """Apply operations in one transaction, now (the console and the CLI)."""
    written = Written()
    with Session(engine) as s, s.begin():
        for op in ops:
            op.apply(s, written)
    return written
