"""Agent operations: log in, log out, pause, unpause. The database says who is logged in
where; Asterisk's queues are told over AMI (QueueAdd / QueueRemove / QueuePause).

Used by the CLI (`tongdai agents ...`), the phones' feature codes (FastAGI route `agent`)
and the engine when it restores logged-in agents after an Asterisk restart.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from acd.ami import AmiClient
from db.models import Agent
from db.writer import utcnow
from config import Site
from config.secrets import load_or_create, site_secret_names

log = logging.getLogger("tongdai.agents")
PAUSE_REASONS = {"1": "break", "2": "lunch", "3": "training", "4": "after-call work"}


class DeskError(RuntimeError):
    """An agent operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class AgentInfo:
    extension: str
    name: str
    skills: dict[str, int]
    seat: str | None
    paused: bool
    pause_reason: str | None


def pin_hash(salt: str, pin: str) -> str:
    return hashlib.sha256(f"{salt}:{pin}".encode()).hexdigest()


def _info(a: Agent) -> AgentInfo:
    return AgentInfo(a.extension, a.name, json.loads(a.skills), a.seat, a.paused, a.pause_reason)


def seed_demo_agents(site: Site, db: Engine) -> None:
    """One agent per agent seat (extension = seat number), PINs from the secrets file."""
    secrets = load_or_create(site.paths.secrets, site_secret_names(site))
    skills = json.dumps({q.name: 0 for q in site.queues})
    with Session(db) as s, s.begin():
        known = set(s.scalars(select(Agent.extension)))
        for ext in site.agents.extensions:
            if str(ext) not in known:
                s.add(Agent(extension=str(ext), name=f"Tổng đài viên {ext}", skills=skills, paused=False,
                            pin_hash=pin_hash(secrets["pin_salt"], secrets[f"pin{ext}"])))


def add_agent(site: Site, db: Engine, extension: str, name: str, pin: str, skills: dict[str, int]) -> None:
    """A new agent (a person): extension, name, PIN (4-8 digits, unique), skills {queue: penalty}."""
    if not extension.isdigit() or not 2 <= len(extension) <= 6:
        raise DeskError(f"extension must be 2-6 digits, got {extension!r}")
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise DeskError("the PIN must be 4 to 8 digits")
    unknown = set(skills) - {q.name for q in site.queues}
    if unknown:
        raise DeskError(f"no such queue: {', '.join(sorted(unknown))}")
    salt = load_or_create(site.paths.secrets, site_secret_names(site))["pin_salt"]
    with Session(db) as s, s.begin():
        if s.scalar(select(Agent).where(Agent.extension == extension)):
            raise DeskError(f"agent {extension} already exists")
        if s.scalar(select(Agent).where(Agent.pin_hash == pin_hash(salt, pin))):
            raise DeskError("that PIN is already used by another agent")
        s.add(Agent(extension=extension, name=name, pin_hash=pin_hash(salt, pin), skills=json.dumps(skills),
                    paused=False))


class AgentDesk:
    def __init__(self, site: Site, db: Engine, ami: AmiClient):
        self.site, self.db, self.ami = site, db, ami
        self.salt = load_or_create(site.paths.secrets, site_secret_names(site))["pin_salt"]

    def _get(self, **where) -> Agent:
        with Session(self.db) as s:
            agent = s.scalar(select(Agent).filter_by(**where))
        if agent is None:
            raise DeskError("no such agent" if "pin_hash" not in where else "wrong PIN")
        return agent

    def _set(self, extension: str, **values) -> None:
        with Session(self.db) as s, s.begin():
            agent = s.scalar(select(Agent).where(Agent.extension == extension))
            for k, v in values.items():
                setattr(agent, k, v)

    async def agent(self, extension: str) -> AgentInfo:
        return _info(await asyncio.to_thread(self._get, extension=extension))

    async def by_pin(self, pin: str) -> AgentInfo:
        return _info(await asyncio.to_thread(self._get, pin_hash=pin_hash(self.salt, pin)))

    async def by_seat(self, seat: str) -> AgentInfo:
        return _info(await asyncio.to_thread(self._get, seat=seat))

    async def all(self) -> list[AgentInfo]:
        def read():
            with Session(self.db) as s:
                return [_info(a) for a in s.scalars(select(Agent).order_by(Agent.extension))]
        return await asyncio.to_thread(read)

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
            raise DeskError(f"agent {extension} is not logged in")
        for queue in agent.skills:
            await self.ami.action("QueueRemove", Queue=queue, Interface=agent.seat)
        await asyncio.to_thread(self._set, extension, seat=None, logged_in_at=None, paused=False, pause_reason=None)
        log.info("agent %s logged out", extension)

    async def pause(self, extension: str, reason: str) -> None:
        agent = await self.agent(extension)
        if not agent.seat:
            raise DeskError(f"agent {extension} is not logged in")
        reply = await self.ami.action("QueuePause", Interface=agent.seat, Paused="true", Reason=reason)
        if reply.get("Response") != "Success":
            raise DeskError(f"QueuePause: {reply.get('Message')}")
        await asyncio.to_thread(self._set, extension, paused=True, pause_reason=reason)

    async def unpause(self, extension: str) -> None:
        agent = await self.agent(extension)
        if not agent.seat:
            raise DeskError(f"agent {extension} is not logged in")
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
