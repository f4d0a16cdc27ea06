"""The agent's call controls besides 113/114/115: hold (music on hold), and blind transfer of the
caller to another agent, to a queue, or to the supervisors.

All over AMI. Hold moves both parties out of the queue's bridge together (one Redirect with
ExtraChannel): the caller to music on hold, the agent's phone to a quiet wait; resume bridges
them again (AMI Bridge). A transfer redirects the caller into the `tongdai-transfer` context,
which dials the target and, if nobody answers, puts the caller in the operator queue: a
transferred caller is never dropped. Every action is audited and is an event on the ticket.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from acd.ami import AmiClient
from config import Site
from db import store
from db.types import Database

HOLD_CONTEXT, TRANSFER_CONTEXT = "tongdai-hold", "tongdai-transfer"


class TransferError(RuntimeError):
    """A hold or transfer that cannot be done now; `code` says why, for the console to translate."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Legs:
    agent: str  # the agent's channel (PJSIP/agent103-00000012)
    caller: str  # the citizen's channel
    caller_uniqueid: str
    held: bool = False


async def legs(ami: AmiClient, seat: str) -> Legs:
    """The agent's channel at `seat` and the caller bridged with it (or held for it)."""
    channels = await ami.action_list("CoreShowChannels")
    mine = [c for c in channels if c["Channel"].startswith(f"{seat}-")]
    if not mine:
        raise TransferError("no_call", f"no call in progress on {seat}")
    agent = mine[0]
    if agent.get("BridgeId"):
        caller = next((c for c in channels if c.get("BridgeId") == agent["BridgeId"]
                       and c["Channel"] != agent["Channel"]), None)
    else:  # on hold: the caller is the one in the hold context waiting for this seat
        caller = next((c for c in channels if c.get("Context") == HOLD_CONTEXT and c.get("Exten") == "caller"
                       and c.get("AccountCode") == seat.removeprefix("PJSIP/")), None)
    if caller is None:
        raise TransferError("no_caller", f"no caller with {seat}")
    return Legs(agent["Channel"], caller["Channel"], caller["Uniqueid"], not agent.get("BridgeId"))


async def _ok(reply: dict[str, str], what: str) -> None:
    if reply.get("Response") != "Success":
        raise TransferError("asterisk", f"{what}: {reply.get('Message')}")


async def _record(db: Database, actor: str, action: str, target: str | None, uniqueid: str,
                  detail: dict[str, str]) -> str | None:
    await asyncio.to_thread(store.add_audit, db, actor, action, target, uniqueid, detail)
    return await asyncio.to_thread(store.add_call_event, db, uniqueid, action, {"to": target, **detail}
                                   if target else detail)


async def hold(ami: AmiClient, db: Database, seat: str, actor: str) -> str | None:
    """The caller hears music on hold; the agent's phone stays up, quiet. Returns the ticket code."""
    leg = await legs(ami, seat)
    if leg.held:
        raise TransferError("already_held", "the caller is already on hold")
    endpoint = seat.removeprefix("PJSIP/")
    # the caller remembers whose hold it is (AccountCode), so resume and transfer find it again;
    # each leg knows the other, for the dialplan's hangup handling while on hold
    for channel, variable, value in ((leg.caller, "CHANNEL(accountcode)", endpoint),
                                     (leg.caller, "TONGDAI_HOLD_AGENT", leg.agent),
                                     (leg.agent, "TONGDAI_HOLD_CALLER", leg.caller)):
        await _ok(await ami.action("Setvar", Channel=channel, Variable=variable, Value=value), "Setvar")
    await _ok(await ami.action("Redirect", Channel=leg.caller, Context=HOLD_CONTEXT, Exten="caller", Priority="1",
                               ExtraChannel=leg.agent, ExtraContext=HOLD_CONTEXT, ExtraExten="agent",
                               ExtraPriority="1"), "Redirect")
    return await _record(db, actor, "hold", None, leg.caller_uniqueid, {"by": endpoint})


async def resume(ami: AmiClient, db: Database, seat: str, actor: str) -> str | None:
    leg = await legs(ami, seat)
    if not leg.held:
        raise TransferError("not_held", "the caller is not on hold")
    await _ok(await ami.action("Setvar", Channel=leg.caller, Variable="TONGDAI_HELD", Value="0"), "Setvar")
    await _ok(await ami.action("Bridge", Channel1=leg.caller, Channel2=leg.agent, Tone="no"), "Bridge")
    return await _record(db, actor, "resume", None, leg.caller_uniqueid, {"by": seat.removeprefix("PJSIP/")})


def destination(site: Site, kind: str, target: str, seats: dict[str, str]) -> tuple[str, str]:
    """The dialplan extension of a transfer target and the target's name for the ticket.
    `seats` maps logged-in agents' extensions to their seats (PJSIP/agent103)."""
    if kind == "agent":
        if target not in seats:
            raise TransferError("agent_unavailable", f"agent {target} is not logged in")
        return "seat-" + seats[target].removeprefix("PJSIP/"), f"agent {target}"
    if kind == "queue":
        if target not in {q.name for q in site.queues}:
            raise TransferError("bad_target", f"no queue {target!r}")
        return f"queue-{target}", f"queue {target}"
    if kind == "supervisor":
        return "supervisors", "supervisor"
    raise TransferError("bad_target", "to: agent, queue or supervisor")


async def transfer(ami: AmiClient, db: Database, site: Site, seat: str, kind: str, target: str,
                   seats: dict[str, str], actor: str) -> tuple[str, str | None]:
    """Blind-transfer the caller at `seat`; returns (the target's name, the ticket code)."""
    exten, name = destination(site, kind, target, seats)
    if kind == "agent" and seats.get(target) == seat:
        raise TransferError("bad_target", "that is your own seat")
    leg = await legs(ami, seat)
    if leg.held:  # the agent's quiet leg must not send the caller to the operator when it ends
        await _ok(await ami.action("Setvar", Channel=leg.caller, Variable="TONGDAI_HELD", Value="0"), "Setvar")
    await _ok(await ami.action("Redirect", Channel=leg.caller, Context=TRANSFER_CONTEXT, Exten=exten,
                               Priority="1"), "Redirect")
    if leg.held:
        await ami.action("Hangup", Channel=leg.agent)
    code = await _record(db, actor, "transfer", name, leg.caller_uniqueid,
                         {"by": seat.removeprefix("PJSIP/"), "kind": kind, "via": "console"})
    return name, code
