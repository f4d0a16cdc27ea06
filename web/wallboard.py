"""The supervisor wallboard and the agents' own state, from the ACD's live picture.

Per queue: callers waiting, longest wait now, agents ready / talking / wrap-up / paused, and
today's offered, answered, abandoned and service level (from the tickets, refreshed every
5 s). Per agent: state, reason, seconds in that state, queues, the ticket of the call.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from acd import stats
from acd.ami import AmiError
from acd.desk import DeskError
from acd import supervision
from web.context import Console, USER, console
from web.guard import allow, body, fail

_today: dict = {"at": 0.0, "queues": {}}


async def _today_figures(c: Console) -> dict:
    if time.monotonic() - _today["at"] > 5:
        start, end = stats.day_bounds(datetime.now(ZoneInfo(c.site.timezone)).date(), c.site.timezone)
        queues, _ = await asyncio.to_thread(stats.from_tickets, c.db, start, end)
        _today.update(at=time.monotonic(), queues=queues)
    return _today["queues"]


def agent_state(c: Console, agent: str) -> dict:
    seat = c.acd.board.seats.get(agent)
    now = time.time()
    if seat is None:
        return {"agent": agent, "state": "logged_out", "reason": None, "seconds": 0, "queues": [], "ticket": None}
    return {"agent": agent, "state": seat.state, "reason": seat.reason,
            "seconds": int(now - seat.since) if seat.since else 0, "queues": sorted(seat.queues),
            "ticket": c.hub.current.get(agent) if seat.state in ("talking", "wrapup") else None}


async def snapshot(c: Console) -> dict:
    today = await _today_figures(c)
    now = time.time()
    seats = [s for s in c.acd.board.seats.values() if s.state != "logged_out"]
    queues = []
    for q in c.site.queues:
        members = [s for s in seats if q.name in s.queues]
        joined = [c.acd.joined.get(uid, now) for uid in c.acd.waiting.get(q.name, ())]
        counts = {state: sum(1 for s in members if s.state in group) for state, group in
                  (("ready", ("ready",)), ("talking", ("ringing", "talking")), ("wrapup", ("wrapup",)),
                   ("paused", ("paused",)))}
        figures = today.get(q.name, {})
        queues.append({"queue": q.name, "waiting": len(joined),
                       "longest_wait_s": int(now - min(joined)) if joined else 0,
                       "agents": counts, "offered": figures.get("offered", 0), "answered": figures.get("answered", 0),
                       "abandoned": figures.get("abandoned", 0), "service_level": figures.get("service_level")})
    agents = [agent_state(c, s.member) for s in sorted(seats, key=lambda s: s.member)]
    return {"queues": queues, "agents": agents, "service_level_s": stats.SERVICE_LEVEL_S,
            "ami": c.acd.synced.is_set()}


@allow("supervisor", "leader")
async def get_wallboard(request: web.Request) -> web.Response:
    return web.json_response(await snapshot(console(request)))


@allow("supervisor")
async def supervise(request: web.Request) -> web.Response:
    """Listen, whisper or barge from the supervisor's own phone (admins name a seat)."""
    c, user = console(request), request[USER]
    data = await body(request)
    mode, agent_no = data.get("mode"), str(data.get("agent", ""))
    seat = user.extension or str(data.get("seat", ""))
    if not seat.isdigit():
        raise fail(400, "seat: your supervisor seat number (e.g. 201)")
    if int(seat) not in c.site.supervisors.extensions:
        raise fail(400, f"seat: {seat} is not a supervisor seat of this site")
    try:
        agent = await c.acd.desk.agent(agent_no)
        audit = await supervision.spy(c.acd.ami, c.db, seat, agent, str(mode), "console", user.username)
    except (DeskError, supervision.SupervisionError) as e:
        raise fail(404 if "no such" in str(e) else 409 if "not logged in" in str(e) else 400, str(e)) from None
    except AmiError as e:
        raise fail(502, f"Asterisk: {e}") from None
    return web.json_response({"audit": audit, "mode": mode, "agent": agent.extension,
                              "message": f"your phone (supervisor{seat}) rings: answer it to {mode}"}, status=201)


def routes() -> list[web.RouteDef]:
    return [web.get("/api/wallboard", get_wallboard), web.post("/api/supervise", supervise)]
