"""Calls Asterisk handled without the engine become tickets: no call is missing from the books.

When the engine is down (or dies mid-call) the dialplan fallback serves the caller and the
engine never hears of it, or never hears the end. Asterisk's CDR (cdr_csv, `Master.csv`, one
or more rows per channel, with the uniqueid) and `queue_log` still know. At start and then
every minute the engine reads what was added to them:

- a trunk call whose uniqueid has no call row gets a ticket (facts from CDR and queue_log:
  queue joined, agent, abandon), marked by a `reconciled` event;
- a ticket a previous engine left `in_call` is closed at the call's real end.
"""
from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Call, Ticket
from db.writer import TicketBook, TicketHandle

log = logging.getLogger("tongdai.reconcile")
CDR_COLUMNS = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
               "start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield")


@dataclass
class CallRecord:
    uniqueid: str
    src: str
    channel: str
    start: datetime
    answer: datetime | None
    end: datetime
    apps: list[str] = field(default_factory=list)
    disposition: str = ""
    queue: list[tuple[str, str, str, list[str]]] = field(default_factory=list)  # queue_log: queue, agent, event, data
    dials: list[tuple[str, str]] = field(default_factory=list)  # Dial over the trunk: (number, CDR disposition)


def _time(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None


def read_new(path: Path, offset: int) -> tuple[list[str], int]:
    """Whole lines added to `path` since `offset` (a rotated, shorter file is read from the start)."""
    if not path.exists():
        return [], 0
    size = path.stat().st_size
    if size < offset:
        offset = 0
    with path.open("rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1
    return data[:end].decode("utf-8", errors="replace").splitlines(), offset + end


def cdr_calls(lines: list[str], trunk: str) -> dict[str, CallRecord]:
    calls: dict[str, CallRecord] = {}
    for row in csv.reader(io.StringIO("\n".join(lines))):
        if len(row) < 17:
            continue
        r = dict(zip(CDR_COLUMNS, row, strict=False))  # a row may carry more columns
        if not r["channel"].startswith(f"PJSIP/{trunk}-") or not r["uniqueid"]:
            continue
        start, end = _time(r["start"]), _time(r["end"])
        if start is None or end is None:
            continue
        c = calls.get(r["uniqueid"])
        if c is None:
            c = calls[r["uniqueid"]] = CallRecord(r["uniqueid"], r["src"], r["channel"], start, _time(r["answer"]), end)
        c.start, c.end = min(c.start, start), max(c.end, end)
        c.answer = c.answer or _time(r["answer"])
        c.apps.append(r["lastapp"])
        target = r["lastdata"].split(",")[0]
        if r["lastapp"] == "Dial" and target.startswith("PJSIP/") and target.endswith(f"@{trunk}"):
            # from a trunk call, only the emergency context dials the trunk
            c.dials.append((target.removeprefix("PJSIP/").removesuffix(f"@{trunk}"), r["disposition"]))
        c.disposition = r["disposition"] if c.disposition != "ANSWERED" else c.disposition
    return calls


def add_queue_facts(calls: dict[str, CallRecord], queue_log: Path) -> None:
    if not calls or not queue_log.exists():
        return
    for line in queue_log.read_text(errors="replace").splitlines():
        parts = line.split("|")
        if len(parts) >= 5 and parts[1] in calls:
            calls[parts[1]].queue.append((parts[2], parts[3], parts[4], parts[5:]))


def _state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


@dataclass
class Plan:
    missing: list[CallRecord]  # trunk calls without a call row
    stale: list[tuple[str, str, CallRecord]]  # (code, uniqueid, record) of tickets left in_call
    offset: int


def find(db: Engine, trunk: str, cdr: Path, queue_log: Path, state_path: Path, live: set[str]) -> Plan:
    """What to reconcile (reads only; run in a worker thread). `live`: uniqueids this engine opened."""
    lines, offset = read_new(cdr, _state(state_path).get("cdr_offset", 0))
    calls = cdr_calls(lines, trunk)
    if not calls:
        return Plan([], [], offset)
    with Session(db) as s:
        known = set(s.scalars(select(Call.uniqueid).where(Call.uniqueid.in_(list(calls)))))
        open_rows = s.execute(select(Ticket.code, Call.uniqueid).join(Call, Ticket.call_id == Call.id)
                              .where(Ticket.status == "in_call", Call.uniqueid.in_(list(calls)))).all()
    missing = {u: c for u, c in calls.items() if u not in known and u not in live}
    stale = [(code, u) for code, u in open_rows if u not in live]
    add_queue_facts({**missing, **{u: calls[u] for _, u in stale}}, queue_log)
    return Plan(list(missing.values()), [(code, u, calls[u]) for code, u in stale], offset)


def apply(book: TicketBook, plan: Plan, state_path: Path) -> tuple[int, int]:
    """Write the plan through the ticket book (on the event loop); returns (created, closed)."""
    for c in plan.missing:
        _ticket(book, c)
    for code, uniqueid, c in plan.stale:
        handle = TicketHandle(book, code, uniqueid)
        handle.event("reconciled", source="cdr", note="the engine stopped during this call", apps=c.apps,
                     disposition=c.disposition, ended=c.end.isoformat())
        _queue_facts(handle, c)
        handle.close("closed")
        handle.update(closed_at=c.end)
        handle.call(ended_at=c.end)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps({"cdr_offset": plan.offset}))
    if plan.missing or plan.stale:
        log.warning("reconciled from Asterisk's CDR: %d call(s) the engine missed, %d ticket(s) left open closed",
                    len(plan.missing), len(plan.stale))
    return len(plan.missing), len(plan.stale)


def _ticket(book: TicketBook, c: CallRecord) -> None:
    ticket = book.open(c.uniqueid, c.src, "", channel=c.channel)
    ticket.update(created_at=c.start)
    ticket.call(started_at=c.start, answered_at=c.answer)
    why, note = why_missed(c)
    ticket.event("reconciled", source="cdr", why=why, note=note, apps=c.apps,
                 disposition=c.disposition, started=c.start.isoformat(), ended=c.end.isoformat())
    _queue_facts(ticket, c)
    ticket.close("closed")
    ticket.update(closed_at=c.end)
    ticket.call(ended_at=c.end)


def why_missed(c: CallRecord) -> tuple[str, str]:
    """Why the engine has no row for this call (a code for the timeline, a note for the log), from
    the dialplan applications its CDR rows name (each row keeps its last application)."""
    if "Congestion" in c.apps:
        return "trunk_full", "refused: every trunk channel was busy (the caller heard a busy signal)"
    if "AGI" in c.apps and not c.answer:
        return "hung_up_early", "the caller hung up before the engine answered"
    return "fallback", "served by the dialplan while the engine was down"


# CDR dispositions in DialStatus's words (the engine's AMI-borne outcomes use those)
DIAL_OUTCOMES = {"ANSWERED": "ANSWER", "NO ANSWER": "NOANSWER", "BUSY": "BUSY", "FAILED": "CHANUNAVAIL",
                 "CONGESTION": "CONGESTION"}


def _number(data: list[str], i: int) -> int:
    return int(data[i]) if len(data) > i and data[i].isdigit() else 0


def _queue_facts(ticket: TicketHandle, c: CallRecord) -> None:
    """What app_queue's queue_log says of the call: joined, answered by, abandoned; and the
    emergency service the fallback put the caller through to, with its answer (from CDR)."""
    for number, disposition in c.dials:
        ticket.update(kind="emergency", service=number, priority=1)
        ticket.event("emergency", step="ended", service=number, outcome=DIAL_OUTCOMES.get(disposition, disposition),
                     source="cdr")
    for queue, agent, event, data in c.queue:
        if event == "ENTERQUEUE":
            ticket.update(queue=queue, kind="operator" if queue == "operator" else None)
            ticket.event("queue", queue=queue, step="join", source="queue_log")
        elif event == "CONNECT":
            ticket.update(agent=agent, wait_s=_number(data, 0))
            ticket.event("agent", agent=agent, queue=queue, wait=_number(data, 0), source="queue_log")
        elif event == "ABANDON":  # position | original position | wait
            ticket.update(abandoned=True, abandon_position=_number(data, 0), wait_s=_number(data, 2))
            ticket.event("abandon", queue=queue, position=_number(data, 0), wait=_number(data, 2), source="queue_log")
