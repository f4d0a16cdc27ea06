"""Agents (people) in the books: who exists, with which PIN hash and skills, logged in where."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Agent, AgentState, Ticket


class AgentError(RuntimeError):
    """No such agent, a wrong PIN, a taken extension or PIN; the message says which, `code` names it
    for the console's translated messages (no_agent, agent_exists, pin_taken)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AgentInfo:
    extension: str
    name: str
    skills: dict[str, int]
    seat: str | None
    paused: bool
    pause_reason: str | None


def _info(a: Agent) -> AgentInfo:
    return AgentInfo(a.extension, a.name, json.loads(a.skills), a.seat, a.paused, a.pause_reason)


def find(db: Engine, extension: str | None = None, pin_hash: str | None = None, seat: str | None = None) -> AgentInfo:
    """The agent with this extension, PIN hash or seat; AgentError if none."""
    q = select(Agent)
    if extension is not None:
        q = q.where(Agent.extension == extension)
    if pin_hash is not None:
        q = q.where(Agent.pin_hash == pin_hash)
    if seat is not None:
        q = q.where(Agent.seat == seat)
    with Session(db) as s:
        agent = s.scalar(q)
        if agent is None:
            raise AgentError("wrong PIN" if pin_hash is not None else "no such agent",
                             "wrong_pin" if pin_hash is not None else "no_agent")
        return _info(agent)


def every(db: Engine) -> list[AgentInfo]:
    with Session(db) as s:
        return [_info(a) for a in s.scalars(select(Agent).order_by(Agent.extension))]


def update(db: Engine, extension: str, **values: Any) -> None:
    """Set columns of the agent (seat, logged_in_at, paused, pause_reason)."""
    with Session(db) as s, s.begin():
        agent = s.scalar(select(Agent).where(Agent.extension == extension))
        if agent is None:
            raise AgentError(f"no agent {extension}", "no_agent")
        for k, v in values.items():
            setattr(agent, k, v)


def add(db: Engine, extension: str, name: str, pin_hash: str, skills: dict[str, int]) -> None:
    with Session(db) as s, s.begin():
        if s.scalar(select(Agent).where(Agent.extension == extension)):
            raise AgentError(f"agent {extension} already exists", "agent_exists")
        if s.scalar(select(Agent).where(Agent.pin_hash == pin_hash)):
            raise AgentError("that PIN is already used by another agent", "pin_taken")
        s.add(Agent(extension=extension, name=name, pin_hash=pin_hash, skills=json.dumps(skills), paused=False))


def change(db: Engine, extension: str, name: str | None = None, skills: dict[str, int] | None = None) -> AgentInfo:
    """A new name and/or skills ({queue: penalty}); returns the agent as it was before."""
    with Session(db) as s, s.begin():
        agent = s.scalar(select(Agent).where(Agent.extension == extension))
        if agent is None:
            raise AgentError(f"no agent {extension}", "no_agent")
        before = _info(agent)
        if name is not None:
            agent.name = name
        if skills is not None:
            agent.skills = json.dumps(skills)
        return before


def add_missing(db: Engine, agents: list[tuple[str, str, str, dict[str, int]]]) -> None:
    """(extension, name, pin hash, skills) of agents to create unless their extension exists."""
    with Session(db) as s, s.begin():
        known = set(s.scalars(select(Agent.extension)))
        for ext, name, pin_hash, skills in agents:
            if ext not in known:
                s.add(Agent(extension=ext, name=name, skills=json.dumps(skills), paused=False, pin_hash=pin_hash))


def current_states(db: Engine) -> dict[str, tuple[str, str | None]]:
    """Each agent's open state interval: agent -> (state, pause reason)."""
    with Session(db) as s:
        rows = s.execute(select(AgentState.agent, AgentState.state, AgentState.reason)
                         .where(AgentState.ended_at.is_(None))).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def call_without_outcome(db: Engine, extension: str) -> str | None:
    """The ticket code of the agent's latest call answered since they logged in, if it has no outcome
    yet (the desk's rule: an outcome before Ready, where the site requires one)."""
    with Session(db) as s:
        since = s.scalar(select(Agent.logged_in_at).where(Agent.extension == extension, Agent.seat.is_not(None)))
        if since is None:
            return None
        row = s.execute(select(Ticket.code, Ticket.outcome).where(Ticket.agent == extension,
                                                                  Ticket.agent_answered_at >= since)
                        .order_by(Ticket.agent_answered_at.desc(), Ticket.id.desc()).limit(1)).first()
    return row.code if row is not None and not row.outcome else None
