"""The agent desktop's actions: ready / pause with a reason / log out (the same as the phone's
*11-*14 feature codes) and transfers of the current caller to 113/114/115."""
from __future__ import annotations

from aiohttp import web

from acd import supervision
from acd.ami import AmiError
from acd.desk import PAUSE_REASONS, DeskError
from web.context import USER, console
from web.guard import allow, body, fail
from web.board import agent_state

DESK_ROLES = ("agent", "callback")


def _extension(request: web.Request) -> str:
    ext = request[USER].extension
    if not ext:
        raise fail(400, "this account has no agent number: ask an admin (tongdai users add --extension)")
    return ext


@allow(*DESK_ROLES)
async def get_desk(request: web.Request) -> web.Response:
    c, ext = console(request), _extension(request)
    try:
        agent = await c.acd.desk.agent(ext)
    except DeskError:
        raise fail(404, f"agent {ext} is not in the agent list (tongdai agents add)") from None
    return web.json_response({"agent": ext, "name": agent.name, "seat": agent.seat,
                              "pause_reasons": list(PAUSE_REASONS.values()), **agent_state(c, ext),
                              "transfer_to": sorted(c.site.emergency.numbers.values())})


@allow(*DESK_ROLES)
async def set_state(request: web.Request) -> web.Response:
    c, ext = console(request), _extension(request)
    data = await body(request)
    state, reason = data.get("state"), data.get("reason") or "break"
    if state not in ("ready", "paused", "logged_out"):
        raise fail(400, "state: ready, paused or logged_out")
    if state == "paused" and reason not in PAUSE_REASONS.values():
        raise fail(400, f"reason: one of {', '.join(PAUSE_REASONS.values())}")
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
    except DeskError as e:
        raise fail(409, str(e)) from None
    except AmiError as e:
        raise fail(502, f"Asterisk: {e}") from None
    return web.json_response({"agent": ext, "requested": state, **agent_state(c, ext)})


@allow(*DESK_ROLES)
async def transfer(request: web.Request) -> web.Response:
    c, ext = console(request), _extension(request)
    number = str((await body(request)).get("number", ""))
    try:
        agent = await c.acd.desk.agent(ext)
        if not agent.seat:
            raise fail(409, "log in (Ready) first")
        channel, code = await supervision.transfer(c.acd.ami, c.db, c.site, agent.seat, number, "console",
                                                   request[USER].username)
    except supervision.SupervisionError as e:
        raise fail(409 if "no call" in str(e) or "no caller" in str(e) else 400, str(e)) from None
    except (DeskError, AmiError) as e:
        raise fail(502, str(e)) from None
    return web.json_response({"transferred": channel, "to": number, "ticket": code})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/agent", get_desk), web.post("/api/agent/state", set_state),
            web.post("/api/agent/transfer", transfer)]
