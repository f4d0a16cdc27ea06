"""What the statistics and reports are computed from: tickets with their timelines, agents'
state intervals, and the counts the leaders' report adds. Plain data out; no figures here."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session, selectinload

from db.models import Agent, AgentState, Callback, Recording, Ticket, TicketEvent


@dataclass(frozen=True)
class TicketTimeline:
    created_at: datetime
    field: str | None
    events: tuple[tuple[str, dict[str, Any]], ...]  # (kind, detail) in order


@dataclass(frozen=True)
class Interval:
    agent: str
    state: str
    reason: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Extras:
    transfers: dict[str, int]  # emergency transfers started, per number
    after_hours_calls: int
    after_hours_messages: int
    callback_outcomes: dict[str, int]


def timelines(db: Engine, start: datetime, end: datetime) -> list[TicketTimeline]:
    with Session(db) as s:
        tickets = s.scalars(select(Ticket).options(selectinload(Ticket.events))
                            .where(Ticket.created_at >= start, Ticket.created_at < end)).all()
        return [TicketTimeline(t.created_at, t.field,
                               tuple((e.kind, json.loads(e.detail) if e.detail else {}) for e in t.events))
                for t in tickets]


def answered_by_agents(db: Engine, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """(agent, talk seconds) of each ticket an agent answered."""
    with Session(db) as s:
        return [(str(t.agent), t.talk_s or 0) for t in s.scalars(
            select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end, Ticket.agent.is_not(None)))]


def intervals(db: Engine, before: datetime, after: datetime | None = None) -> list[Interval]:
    """Agents' state intervals that started before `before` (and, with `after`, had not ended by then)."""
    q = select(AgentState).where(AgentState.started_at < before)
    if after is not None:
        q = q.where(or_(AgentState.ended_at.is_(None), AgentState.ended_at > after))
    with Session(db) as s:
        return [Interval(r.agent, r.state, r.reason, r.started_at, r.ended_at) for r in s.scalars(q)]


def agent_names(db: Engine) -> dict[str, str]:
    """Extension -> the agent's name."""
    with Session(db) as s:
        return {str(ext): str(name) for ext, name in s.execute(select(Agent.extension, Agent.name))}


def extras(db: Engine, start: datetime, end: datetime) -> Extras:
    in_range = (Ticket.created_at >= start, Ticket.created_at < end)
    with Session(db) as s:
        transfers: Counter[str] = Counter()
        started = select(TicketEvent.detail).join(Ticket).where(*in_range, TicketEvent.kind == "transfer")
        for detail, in s.execute(started):
            d = json.loads(detail) if detail else {}
            if d.get("to") and "result" not in d:  # the flow logs a transfer's start, then its result
                transfers[d["to"]] += 1
        after_hours = s.scalar(select(func.count()).select_from(Ticket).where(*in_range, Ticket.kind == "after_hours"))
        messages = s.scalar(select(func.count()).select_from(Recording).join(Ticket)
                            .where(*in_range, Recording.kind == "voicemail"))
        outcomes = Counter(o or state for o, state in s.execute(
            select(Callback.outcome, Callback.state).join(Ticket).where(*in_range)))
    return Extras(dict(sorted(transfers.items())), after_hours or 0, messages or 0, dict(sorted(outcomes.items())))


NONE = "-"  # the key of tickets without a value (no field chosen, no area recorded)


@dataclass(frozen=True)
class TicketCounts:
    """Requests in a range, whatever became of the call (a callback, a message, an emergency)."""

    fields: dict[str, int]
    areas: dict[str, int]
    kinds: dict[str, int]
    statuses: dict[str, int]
    channels: dict[str, int]


def ticket_counts(db: Engine, start: datetime, end: datetime) -> TicketCounts:
    in_range = (Ticket.created_at >= start, Ticket.created_at < end)
    with Session(db) as s:
        def per(column: Any) -> dict[str, int]:
            rows = s.execute(select(column, func.count()).where(*in_range).group_by(column)).all()
            return {str(key) if key is not None else NONE: int(n) for key, n in sorted(rows, key=lambda r: str(r[0]))}

        total = s.scalar(select(func.count()).select_from(Ticket).where(*in_range)) or 0
        # Every ticket so far comes from a phone call. When tickets get a `channel` column (web form,
        # Zalo, walk-in), this becomes per(Ticket.channel) like the others.
        channels = {"phone": int(total)} if total else {}
        return TicketCounts(per(Ticket.field), per(Ticket.area), per(Ticket.kind), per(Ticket.status), channels)
