"""Contact-centre statistics for one day (site-local date).

Per queue and per field: offered, answered, abandoned (the caller hung up while waiting),
service level (answered within 20 s / offered), average speed of answer, average handle
time (talk time), longest wait. Per agent: calls, talk time, time per state and per pause
reason. Computed from the tickets and agent intervals; the per-queue counts are cross-checked
against app_queue's own `queue_log` (its Abandoned counter also counts timeouts and empty-
queue exits, so "abandoned" here is queue_log's ABANDON only).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, UTC
from pathlib import Path
from zoneinfo import ZoneInfo
from typing import Any

from db.queries import stats as books
from db.queries.stats import TicketTimeline
from db.types import Database

SERVICE_LEVEL_S = 20


@dataclass
class Figures:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_in_sl: int = 0
    waits: list[int] = field(default_factory=list)  # answered calls' waits
    talks: list[int] = field(default_factory=list)
    longest_wait: int = 0

    def add(self, answered_wait: int | None, talk: int | None, abandoned_wait: int | None) -> None:
        self.offered += 1
        if answered_wait is not None:
            self.answered += 1
            self.waits.append(answered_wait)
            self.answered_in_sl += answered_wait <= SERVICE_LEVEL_S
            if talk is not None:
                self.talks.append(talk)
        if abandoned_wait is not None:
            self.abandoned += 1
        self.longest_wait = max(self.longest_wait, answered_wait or 0, abandoned_wait or 0)

    def summary(self) -> dict[str, Any]:
        return {
            "offered": self.offered, "answered": self.answered, "abandoned": self.abandoned,
            "service_level": round(self.answered_in_sl / self.offered, 3) if self.offered else None,
            "asa_s": round(sum(self.waits) / len(self.waits), 1) if self.waits else None,
            "aht_s": round(sum(self.talks) / len(self.talks), 1) if self.talks else None,
            "longest_wait_s": self.longest_wait,
        }


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The day's start and end in naive UTC (as stored)."""
    start = datetime.combine(day, time(), ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)
    return start, start + timedelta(days=1)


def _queue_visits(ticket: TicketTimeline) -> dict[str, dict[str, Any]]:
    """Per queue this ticket joined: the wait when answered / abandoned, the talk time."""
    visits: dict[str, dict[str, Any]] = {}
    for kind, d in ticket.events:
        if kind == "queue" and d.get("step") == "join":
            visits.setdefault(d["queue"], {"answered": None, "talk": None, "abandoned": None})
        elif kind == "agent" and d.get("queue") in visits:
            visits[d["queue"]]["answered"] = d.get("wait", 0)
        elif kind == "agent_complete":
            for v in visits.values():
                if v["answered"] is not None and v["talk"] is None:
                    v["talk"] = d.get("talk", 0)
        elif kind == "abandon" and d.get("queue") in visits:
            visits[d["queue"]]["abandoned"] = d.get("wait", 0)
    return visits


def from_tickets(db: Database, start: datetime, end: datetime, tz: str | None = None) -> tuple[dict[str, Any], ...]:
    """Figures per queue and per field; with `tz`, also per site-local day (one pass over the tickets)."""
    queues: dict[str, Figures] = defaultdict(Figures)
    fields: dict[str, Figures] = defaultdict(Figures)
    days: dict[str, Figures] = defaultdict(Figures)
    zone = ZoneInfo(tz) if tz else None
    for t in books.timelines(db, start, end):
        day = t.created_at.replace(tzinfo=UTC).astimezone(zone).date().isoformat() if zone else ""
        for queue, v in _queue_visits(t).items():
            queues[queue].add(v["answered"], v["talk"], v["abandoned"])
            if t.field:
                fields[t.field].add(v["answered"], v["talk"], v["abandoned"])
            if zone:
                days[day].add(v["answered"], v["talk"], v["abandoned"])
    out = ({k: f.summary() for k, f in sorted(queues.items())}, {k: f.summary() for k, f in sorted(fields.items())})
    return out + ({k: f.summary() for k, f in sorted(days.items())},) if zone else out


def per_agent(db: Database, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    agents: dict[str, dict[str, Any]] = defaultdict(lambda: {"calls": 0, "talk_s": 0, "states": defaultdict(float),
                                                   "pauses": defaultdict(float)})
    for agent, talk in books.answered_by_agents(db, start, end):
        agents[agent]["calls"] += 1
        agents[agent]["talk_s"] += talk
    for r in books.intervals(db, end, start):
        stop = min(r.ended_at or now, end)
        seconds = (stop - max(r.started_at, start)).total_seconds()
        if seconds <= 0:
            continue
        agents[r.agent]["states"][r.state] += seconds
        if r.state == "paused":
            agents[r.agent]["pauses"][r.reason or "-"] += seconds
    return {k: {"calls": v["calls"], "talk_s": v["talk_s"],
                "states_s": {s: round(x) for s, x in v["states"].items()},
                "pauses_s": {s: round(x) for s, x in v["pauses"].items()}} for k, v in sorted(agents.items())}


def from_queue_log(path: Path, start: datetime, end: datetime) -> dict[str, Any]:
    """offered / answered / abandoned per queue from app_queue's queue_log."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"offered": 0, "answered": 0, "abandoned": 0})
    lo, hi = start.replace(tzinfo=UTC).timestamp(), end.replace(tzinfo=UTC).timestamp()
    if not path.exists():
        return {}
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split("|")
        if len(parts) < 5 or not parts[0].isdigit() or not lo <= int(parts[0]) < hi:
            continue
        queue, event = parts[2], parts[4]
        key = {"ENTERQUEUE": "offered", "CONNECT": "answered", "ABANDON": "abandoned"}.get(event)
        if key:
            counts[queue][key] += 1
    return {k: dict(v) for k, v in sorted(counts.items())}


def report(db: Database, queue_log: Path, day: date, tz: str) -> dict[str, Any]:
    start, end = day_bounds(day, tz)
    now = datetime.now(UTC).replace(tzinfo=None)
    queues, fields = from_tickets(db, start, end)
    logged = from_queue_log(queue_log, start, end)
    mismatches = [f"{q}: {k} tickets={queues.get(q, {}).get(k, 0)} queue_log={v}"
                  for q, row in logged.items() for k, v in row.items() if queues.get(q, {}).get(k, 0) != v]
    return {"date": day.isoformat(), "service_level_s": SERVICE_LEVEL_S, "queues": queues, "fields": fields,
            "agents": per_agent(db, start, end, now), "queue_log": logged, "mismatches": mismatches}
