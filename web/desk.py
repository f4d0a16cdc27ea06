"""The agent desktop's actions: ready / pause with a reason / log out (the same as the phone's
*11-*14 feature codes), the call controls (hold, resume, blind transfer to an agent, a queue,
the supervisors, or 113/114/115), and the outcome rule: where the site requires it, an agent
whose last call has no outcome cannot go Ready (VICIdial's disposition; `acd.desk` decides)."""
from __future__ import annotations

import asyncio
import json

from aiohttp import web

from acd import supervision, transfers
from acd.ami import AmiError
from acd.desk import DeskError, OutcomeNeeded
from db.queries import agents as stored_agents
from db.queries import pause_reasons
from web.board import agent_state
from web.context import USER, Console, console
from web.guard import allow, body, fail

DESK_ROLES = ("agent", "callback")


def _extension(request: web.Request) -> str:
    ext = request[USER].extension
    if not ext:
        raise fail(400, "this account has no agent number: ask an admin (tongdai users add --extension)",
                   code="no_extension")
    return ext


def _seats(c: Console) -> dict[str, str]:
    """Logged-in agents: extension -> seat."""
    return {a.extension: a.seat for a in stored_agents.every(c.db) if a.seat}


@allow(*DESK_ROLES)
async def get_desk(request: web.Request) -> web.Response:
    c, ext = console(request), _extension(request)
    try:
        agent = await c.acd.desk.agent(ext)
    except DeskError:
        raise fail(404, f"agent {ext} is not in the agent list (tongdai agents add)", code="not_an_agent",
                   agent=ext) from None
    reasons = await asyncio.to_thread(pause_reasons.reasons, c.db)
    everyone = await asyncio.to_thread(stored_agents.every, c.db)
    return web.json_response({
        "agent": ext, "name": agent.name, "seat": agent.seat, "pause_reasons": [r.key for r in reasons],
        **agent_state(c, ext), "last_call": c.hub.last_call.get(ext),
        "needs_outcome": await c.acd.desk.call_needing_outcome(ext),
        "transfer_to": [{"service": s, "number": n} for s, n in c.site.emergency.numbers.items()],
        "agents": [{"extension": a.extension, "name": a.name} for a in everyone if a.seat and a.extension != ext],
        "queues": [q.name for q in c.site.queues]})


@allow(*DESK_ROLES)
async def set_state(request: web.Request) -> web.Response:
    c, ext = console(request), _extension(request)
    data = await body(request)
    state, reason = data.get("state"), data.get("reason") or "break"
    if state not in ("ready", "paused", "logged_out"):
        raise fail(400, "state: ready, paused or logged_out")
    keys = [r.key for r in await asyncio.to_thread(pause_reasons.reasons, c.db)]
    if state == "paused" and reason not in keys:
        raise fail(400, f"reason: one of {', '.join(keys)}")
    try:
        agent = await c.acd.desk.agent(ext)
        if state == "ready":
            if agent.seat:
                await c.acd.desk.unpause(ext)
            else:
                await c.acd.desk.login(ext)
        elif state == "paused":
            await c.acd.desk.pause(ext, reason)
        else:
            await c.acd.desk.logout(ext)
    except OutcomeNeeded as e:
        raise web.HTTPConflict(text=json.dumps({"error": str(e), "code": e.code, "ticket": e.ticket}),
                               content_type="application/json") from None
    except DeskError as e:
        raise fail(409, str(e), code=e.code or "desk_refused", agent=ext) from None
    except AmiError as e:
        raise fail(502, f"Asterisk: {e}", code="asterisk") from None
    return web.json_response({"agent": ext, "requested": state, **agent_state(c, ext)})


async def _seat(c: Console, ext: str) -> str:
    agent = await c.acd.desk.agent(ext)
    if not agent.seat:
        raise fail(409, "log in (Ready) first", code="not_logged_in")
    return agent.seat


@allow(*DESK_ROLES)
async def transfer(request: web.Request) -> web.Response:
    """{"number": "113"} to an emergency service; {"to": "agent"|"queue"|"supervisor", "target": ...}."""
    c, ext, user = console(request), _extension(request), request[USER]
    data = await body(request)
    try:
        seat = await _seat(c, ext)
        if "number" in data:
            channel, code = await supervision.transfer(c.acd.ami, c.db, c.site, seat, str(data["number"]), "console",
                                                       user.username)
            return web.json_response({"transferred": channel, "to": str(data["number"]), "ticket": code})
        kind, target = str(data.get("to", "")), str(data.get("target", ""))
        seats = await asyncio.to_thread(_seats, c)
        name, code = await transfers.transfer(c.acd.ami, c.db, c.site, seat, kind, target, seats, user.username)
    except supervision.SupervisionError as e:
        busy = "no call" in str(e) or "no caller" in str(e)
        raise fail(409 if busy else 400, str(e), code="no_call" if busy else "bad_target") from None
    except transfers.TransferError as e:
        raise fail(409 if e.code in ("no_call", "no_caller", "agent_unavailable") else 400, str(e),
                   code=e.code) from None
    except DeskError as e:
        raise fail(409, str(e), code=e.code or "desk_refused", agent=ext) from None
    except AmiError as e:
        raise fail(502, str(e), code="asterisk") from None
    if kind == "agent" and code:
        c.hub.transferred(target, code)
    return web.json_response({"to": name, "ticket": code})


def _control(action: str):
    @allow(*DESK_ROLES)
    async def handler(request: web.Request) -> web.Response:
        c, ext = console(request), _extension(request)
        try:
            seat = await _seat(c, ext)
            step = transfers.hold if action == "hold" else transfers.resume
            code = await step(c.acd.ami, c.db, seat, request[USER].username)
        except transfers.TransferError as e:
            raise fail(409, str(e), code=e.code) from None
        except DeskError as e:
            raise fail(409, str(e), code=e.code or "desk_refused", agent=ext) from None
        except AmiError as e:
            raise fail(502, str(e), code="asterisk") from None
        return web.json_response({"done": action, "ticket": code})
    return handler


def routes() -> list[web.RouteDef]:
    return [web.get("/api/agent", get_desk), web.post("/api/agent/state", set_state),
            web.post("/api/agent/transfer", transfer), web.post("/api/agent/hold", _control("hold")),
            web.post("/api/agent/resume", _control("resume"))]
