"""The live picture the wallboard and the agents' desks show (no HTTP here: the handlers in
`web.wallboard` and `web.desk` and the websocket hub in `web.live` all read it).

Per queue: callers waiting, longest wait now, agents ready / talking / wrap-up / paused, and
today's offered, answered, abandoned and service level (from the tickets, refreshed every
5 s). Per agent: state, reason, seconds in that state, queues, the ticket of the call.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from acd import stats
from web.context import Console

_today: dict[str, Any] = {"at": 0.0, "queues": {}}


async def _today_figures(c: Console) -> dict[str, Any]:
    if time.monotonic() - _today["at"] > 5:
        start, end = stats.day_bounds(datetime.now(ZoneInfo(c.site.timezone)).date(), c.site.timezone)
        queues, _ = await asyncio.to_thread(stats.from_tickets, c.db, start, end)
        _today.update(at=time.monotonic(), queues=queues)
    return _today["queues"]


def agent_state(c: Console, agent: str) -> dict[str, Any]:
    seat = c.acd.board.seats.get(agent)
    now = time.time()
    if seat is None:
        return {"agent": agent, "state": "logged_out", "reason": None, "seconds": 0, "queues": [], "ticket": None}
    return {"agent": agent, "state": seat.state, "reason": seat.reason,
            "seconds": int(now - seat.since) if seat.since else 0, "queues": sorted(seat.queues),
            "ticket": c.hub.current.get(agent) if seat.state in ("talking", "wrapup") else None}


async def snapshot(c: Console) -> dict[str, Any]:
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
