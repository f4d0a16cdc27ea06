"""Supervisor spying (listen / whisper / barge) and agent transfers to 113/114/115 over AMI.

Shared by the CLI and the console; both write the same audit rows. A spy rings the
supervisor's own phone (AMI Originate of ChanSpy); its audit row is closed by the engine on
ChanSpyStop. A transfer redirects the caller bridged with the agent's seat into the literal
emergency context, so it works exactly like the fallback's.
"""
from __future__ import annotations

import asyncio

from db.types import Database

from acd.ami import AmiClient
from acd.desk import AgentInfo
from acd.phones import SPY_OPTIONS
from db import store
from config import Site


class SupervisionError(RuntimeError):
    pass


def supervisor_seat(number: str) -> str:
    return number if number.startswith("supervisor") else f"supervisor{number}"


async def spy(ami: AmiClient, db: Database, supervisor: str, agent: AgentInfo, mode: str, via: str,
              actor: str | None = None) -> int:
    """Ring the supervisor's phone; answering it spies on the agent. Returns the audit row id."""
    if mode not in SPY_OPTIONS:
        raise SupervisionError(f"mode: one of {', '.join(SPY_OPTIONS)}")
    if not agent.seat:
        raise SupervisionError(f"agent {agent.extension} is not logged in")
    seat = supervisor_seat(supervisor)
    reply = await ami.action("Originate", Channel=f"PJSIP/{seat}", Application="ChanSpy",
                             Data=f"{agent.seat},{SPY_OPTIONS[mode]}", CallerID=f'"{mode}" <{agent.extension}>',
                             Async="true", Timeout="30000")
    if reply.get("Response") != "Success":
        raise SupervisionError(f"Originate: {reply.get('Message')}")
    detail = {"via": via, "seat": agent.seat, **({"user": actor} if actor else {})}
    return await asyncio.to_thread(store.add_audit, db, seat, mode, agent.extension, None, detail)


async def transfer(ami: AmiClient, db: Database, site: Site, seat: str, number: str, via: str,
                   actor: str | None = None) -> tuple[str, str | None]:
    """Blind-transfer the caller bridged with `seat` to 113/114/115; returns (channel, ticket code)."""
    numbers = {v: k for k, v in site.emergency.numbers.items()}
    if number not in numbers:
        raise SupervisionError(f"only {', '.join(numbers)} can be transferred to from here")
    channels = await ami.action_list("CoreShowChannels")
    agent_channel = next((c for c in channels if c["Channel"].startswith(f"{seat}-")), None)
    if agent_channel is None or not agent_channel.get("BridgeId"):
        raise SupervisionError(f"no call in progress on {seat}")
    caller = next((c for c in channels if c.get("BridgeId") == agent_channel["BridgeId"]
                   and c["Channel"] != agent_channel["Channel"]), None)
    if caller is None:
        raise SupervisionError(f"no caller bridged with {seat}")
    reply = await ami.action("Redirect", Channel=caller["Channel"], Context="tongdai-emergency",
                             Exten=numbers[number], Priority="1")
    if reply.get("Response") != "Success":
        raise SupervisionError(f"Redirect: {reply.get('Message')}")
    by = seat.removeprefix("PJSIP/")
    await asyncio.to_thread(store.add_audit, db, actor or seat, "transfer", number, caller["Uniqueid"],
                            {"via": via, "seat": seat})
    code = await asyncio.to_thread(store.add_call_event, db, caller["Uniqueid"], "transfer",
                                   {"to": number, "by": by, "via": "agent", "from": via})
    return caller["Channel"], code
