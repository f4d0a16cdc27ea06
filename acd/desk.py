"""Agent operations: log in, log out, pause, unpause. The database says who is logged in
where; Asterisk's queues are told over AMI (QueueAdd / QueueRemove / QueuePause).

Used by the CLI (`tongdai agents ...`), the phones' feature codes (FastAGI route `agent`)
and the engine when it restores logged-in agents after an Asterisk restart.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from acd.ami import AmiClient
from config import Site
from config.secrets import load_or_create, site_secret_names
from db.queries import agents as books
from db.queries import pause_reasons
from db.queries.agents import AgentError, AgentInfo
from db.types import Database
from db.clock import utcnow

log = logging.getLogger("tongdai.agents")
# the reasons a fresh install starts with (migration 0006 seeds them as rows; admins edit the rows):
# what runs reads pause_reason_keys(db)
PAUSE_REASONS = {"1": "break", "2": "lunch", "3": "training", "4": "after-call work"}
MAX_PENALTY = 9
__all__ = ["AgentDesk", "AgentInfo", "DeskError", "OutcomeNeeded", "PAUSE_REASONS", "add_agent", "change_agent",
           "check_skills",
           "pause_reason_keys", "pin_hash", "seed_demo_agents"]


class DeskError(RuntimeError):
    """An agent operation that cannot be done; the message says why, `code` names it for the
    console's translated messages."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class OutcomeNeeded(DeskError):
    """Ready refused: the agent's last call has no outcome yet (the site requires one)."""

    def __init__(self, ticket: str):
        super().__init__(f"choose the outcome of call {ticket} first", "outcome_needed")
        self.ticket = ticket


def pause_reason_keys(db: Database) -> dict[str, str]:
    """The active pause reasons: digit (*13<digit> on the phone) -> key (what the pause records)."""
    return {r.digit: r.key for r in pause_reasons.reasons(db)}


def pin_hash(salt: str, pin: str) -> str:
    return hashlib.sha256(f"{salt}:{pin}".encode()).hexdigest()


def seed_demo_agents(site: Site, db: Database) -> None:
    """One agent per agent seat (extension = seat number), PINs from the secrets file."""
    secrets = load_or_create(site.paths.secrets, site_secret_names(site))
    skills = {q.name: 0 for q in site.queues}
    books.add_missing(db, [(str(ext), f"Tổng đài viên {ext}", pin_hash(secrets["pin_salt"], secrets[f"pin{ext}"]),
                            skills) for ext in site.agents.extensions])


def check_skills(site: Site, skills: dict[str, int]) -> dict[str, int]:
    """Skills {queue: penalty}: the site's queues, penalties 0-9 (0 is served first)."""
    unknown = set(skills) - {q.name for q in site.queues}
    if unknown:
        raise DeskError(f"no such queue: {', '.join(sorted(unknown))}", "queue_unknown")
    for queue, penalty in skills.items():
        if isinstance(penalty, bool) or not isinstance(penalty, int) or not 0 <= penalty <= MAX_PENALTY:
            raise DeskError(f"penalty of {queue}: a whole number 0-{MAX_PENALTY}", "penalty_range")
    return dict(skills)


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 128:
        raise DeskError("name: 1-128 characters", "name_length")
    return name


def add_agent(site: Site, db: Database, extension: str, name: str, pin: str, skills: dict[str, int]) -> None:
    """A new agent (a person): extension, name, PIN (4-8 digits, unique), skills {queue: penalty}."""
    if not extension.isdigit() or not 2 <= len(extension) <= 6:
        raise DeskError(f"extension must be 2-6 digits, got {extension!r}", "agent_extension")
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise DeskError("the PIN must be 4 to 8 digits", "pin_format")
    name, skills = _check_name(name), check_skills(site, skills)
    salt = load_or_create(site.paths.secrets, site_secret_names(site))["pin_salt"]
    try:
        books.add(db, extension, name, pin_hash(salt, pin), skills)
    except AgentError as e:
        raise DeskError(str(e), e.code) from None


def change_agent(site: Site, db: Database, extension: str, name: str | None = None,
                 skills: dict[str, int] | None = None) -> tuple[AgentInfo, AgentInfo]:
    """A new name and/or skills; (before, after). A logged-in agent's queues change at their next
    login (the live queue membership is not touched)."""
    name = _check_name(name) if name is not None else None
    skills = check_skills(site, skills) if skills is not None else None
    try:
        before = books.change(db, extension, name, skills)
        return before, books.find(db, extension=extension)
    except AgentError as e:
        raise DeskError(str(e), e.code) from None


class AgentDesk:
    def __init__(self, site: Site, db: Database, ami: AmiClient):
        self.site, self.db, self.ami = site, db, ami
        self.salt = load_or_create(site.paths.secrets, site_secret_names(site))["pin_salt"]

    def _get(self, **where: str) -> AgentInfo:
        try:
            return books.find(self.db, **where)
        except AgentError as e:
            raise DeskError(str(e), "not_an_agent") from None

    def _set(self, extension: str, **values: Any) -> None:
        books.update(self.db, extension, **values)

    async def agent(self, extension: str) -> AgentInfo:
        return await asyncio.to_thread(self._get, extension=extension)

    async def by_pin(self, pin: str) -> AgentInfo:
        return await asyncio.to_thread(self._get, pin_hash=pin_hash(self.salt, pin))

    async def by_seat(self, seat: str) -> AgentInfo:
        return await asyncio.to_thread(self._get, seat=seat)

    async def all(self) -> list[AgentInfo]:
        return await asyncio.to_thread(books.every, self.db)

    async def _add(self, agent: AgentInfo, seat: str) -> None:
        queues = {q.name for q in self.site.queues}
        for queue, penalty in agent.skills.items():
            if queue not in queues:
                continue
            reply = await self.ami.action("QueueAdd", Queue=queue, Interface=seat, Penalty=str(penalty),
                                          MemberName=agent.extension, StateInterface=seat,
                                          Paused="true" if agent.paused else "false",
                                          Reason=agent.pause_reason or "")
            if reply.get("Response") != "Success" and "Already there" not in reply.get("Message", ""):
                raise DeskError(f"QueueAdd {queue} {seat}: {reply.get('Message')}")

    def is_phone(self, seat: str) -> bool:
        """One of the site's agent or supervisor phones (never the trunk or anything else)."""
        return seat in {f"PJSIP/agent{e}" for e in self.site.agents.extensions} or self.is_supervisor_seat(seat)

    def is_supervisor_seat(self, seat: str) -> bool:
        return seat in {f"PJSIP/supervisor{e}" for e in self.site.supervisors.extensions}

    async def login(self, extension: str, seat: str | None = None) -> AgentInfo:
        agent = await self.agent(extension)
        seat = seat or f"PJSIP/agent{extension}"
        if not self.is_phone(seat):
            raise DeskError(f"{seat} is not a phone of this site: agents log in at agent or supervisor seats only")
        if agent.seat and agent.seat != seat:
            await self.logout(extension)
        await asyncio.to_thread(self._set, extension, seat=seat, logged_in_at=utcnow(), paused=False,
                                pause_reason=None)
        agent = await self.agent(extension)
        await self._add(agent, seat)
        log.info("agent %s logged in at %s", extension, seat)
        return agent

    async def logout(self, extension: str) -> None:
        agent = await self.agent(extension)
        if not agent.seat:
            raise DeskError(f"agent {extension} is not logged in", "not_logged_in")
        for queue in agent.skills:
            await self.ami.action("QueueRemove", Queue=queue, Interface=agent.seat)
        await asyncio.to_thread(self._set, extension, seat=None, logged_in_at=None, paused=False, pause_reason=None)
        log.info("agent %s logged out", extension)

    async def pause(self, extension: str, reason: str) -> None:
        agent = await self.agent(extension)
        if not agent.seat:
            raise DeskError(f"agent {extension} is not logged in", "not_logged_in")
        reply = await self.ami.action("QueuePause", Interface=agent.seat, Paused="true", Reason=reason)
        if reply.get("Response") != "Success":
            raise DeskError(f"QueuePause: {reply.get('Message')}")
        await asyncio.to_thread(self._set, extension, paused=True, pause_reason=reason)

    async def call_needing_outcome(self, extension: str) -> str | None:
        """The ticket of the agent's last call if the site requires an outcome and it has none."""
        if not self.site.desk.outcome_required:
            return None
        return await asyncio.to_thread(books.call_without_outcome, self.db, extension)

    async def unpause(self, extension: str, outcome_first: bool = True) -> None:
        """Ready again; OutcomeNeeded while the last call lacks its outcome (unless a supervisor or
        IT releases the agent: `outcome_first=False`)."""
        agent = await self.agent(extension)
        if not agent.seat:
            raise DeskError(f"agent {extension} is not logged in", "not_logged_in")
        ticket = await self.call_needing_outcome(extension) if outcome_first else None
        if ticket:
            raise OutcomeNeeded(ticket)
        reply = await self.ami.action("QueuePause", Interface=agent.seat, Paused="false")
        if reply.get("Response") != "Success":
            raise DeskError(f"QueuePause: {reply.get('Message')}")
        await asyncio.to_thread(self._set, extension, paused=False, pause_reason=None)

    async def restore(self, members: set[str]) -> list[str]:
        """Put back in the queues every agent the database has logged in but Asterisk lacks
        (after an Asterisk restart). `members`: the MemberNames Asterisk reports."""
        restored = []
        for agent in await self.all():
            if agent.seat and agent.extension not in members:
                await self._add(agent, agent.seat)
                restored.append(agent.extension)
        if restored:
            log.warning("restored %d logged-in agent(s) into the queues: %s", len(restored), ", ".join(restored))
        return restored
