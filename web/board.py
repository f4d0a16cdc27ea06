"""The live picture the wallboard and the agents' desks show (no HTTP here: the handlers in
`web.wallboard` and `web.desk` and the websocket hub in `web.live` all read it).

Per queue: callers waiting, longest wait now, agents ready / talking / wrap-up / paused, and
today's offered, answered, abandoned and service level (from the tickets, refreshed every
5 s; the service level leaves out callers still waiting within its target), each figure with
its level (normal / amber / red) from the site's `[wallboard]` thresholds. Per agent: name,
state, reason, seconds in that state, queues, the ticket of the call. And the agencies' cases
past their deadline (`overdue`, red when any), and the reports from the web waiting for an agent's
triage (`web_waiting`, amber when any), each refreshed every 10 s.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from acd import stats
from db.clock import utcnow
from db.queries import agents as stored_agents
from db.queries import reminders as stored_reminders
from db.queries import web_reports
from db.types import DatabaseUnavailable
from web.context import Console

log = logging.getLogger(__name__)
_today: dict[str, Any] = {"at": 0.0, "queues": {}}
_names: dict[str, Any] = {"at": 0.0, "db": None, "names": {}}  # agent extension -> name, refreshed every 10 s
_overdue: dict[str, Any] = {"at": 0.0, "db": None, "count": None}  # overdue assignments, refreshed every 10 s
_web: dict[str, Any] = {"at": 0.0, "db": None, "count": None}  # web reports waiting for triage, every 10 s
NAMES_FOR_S = 10


def level(value: float | None, amber: float, red: float, lower_is_worse: bool = False) -> str:
    """"red", "amber" or "normal" for a figure: at or beyond `red` / `amber` (below them when
    `lower_is_worse`, as for the service level). No figure (None) is normal."""
    if value is None:
        return "normal"
    if lower_is_worse:
        return "red" if value < red else "amber" if value < amber else "normal"
    return "red" if value >= red else "amber" if value >= amber else "normal"


def queue_levels(q: dict[str, Any], t: Any) -> dict[str, str]:
    """The levels of a queue's figures under the site's thresholds `t` (WallboardSettings)."""
    return {"waiting": level(q["waiting"], t.waiting_amber, t.waiting_red),
            "longest_wait": level(q["longest_wait_s"] if q["waiting"] else None, t.wait_amber_s, t.wait_red_s),
            "service_level": level(q["service_level"], t.service_level_amber, t.service_level_red, True),
            "abandoned": level(q["abandoned_rate"], t.abandoned_amber, t.abandoned_red)}


def live_service_level(today: float | None, offered: int, undecided: int) -> float | None:
    """Today's service level without the callers still waiting within the target (`undecided`):
    they may yet be answered in time, so one caller who has just joined does not make it 0 %.
    (The reports count every offered call; a caller past the target is already a miss.)"""
    if today is None:
        return None
    decided = offered - undecided
    return round(round(today * offered) / decided, 3) if decided > 0 else None


async def _today_figures(c: Console) -> dict[str, Any]:
    if time.monotonic() - _today["at"] > 5:
        start, end = stats.day_bounds(datetime.now(ZoneInfo(c.site.timezone)).date(), c.site.timezone)
        queues, _ = await asyncio.to_thread(stats.from_tickets, c.db, start, end)
        _today.update(at=time.monotonic(), queues=queues)
    return _today["queues"]


async def _agent_names(c: Console) -> None:
    """Refresh the agents' names now and then (a database that does not answer keeps the old ones)."""
    if time.monotonic() - _names["at"] > NAMES_FOR_S or _names["db"] is not c.db:
        try:
            rows = await asyncio.to_thread(stored_agents.every, c.db)
        except DatabaseUnavailable as err:
            log.warning("wallboard keeps the agents' names it had: %s", str(err).splitlines()[0])
            return
        _names.update(at=time.monotonic(), db=c.db, names={a.extension: a.name for a in rows})


async def _overdue_count(c: Console) -> int | None:
    """Open assignments past their deadline (a database that does not answer keeps the last count)."""
    if time.monotonic() - _overdue["at"] > NAMES_FOR_S or _overdue["db"] is not c.db:
        try:
            count = await asyncio.to_thread(stored_reminders.overdue_count, c.db, utcnow())
        except DatabaseUnavailable as err:
            log.warning("wallboard keeps the overdue count it had: %s", str(err).splitlines()[0])
            return _overdue["count"] if _overdue["db"] is c.db else None
        _overdue.update(at=time.monotonic(), db=c.db, count=count)
    return _overdue["count"]


async def _web_waiting(c: Console) -> int | None:
    """Reports from the web waiting for triage (a database that does not answer keeps the last count)."""
    if time.monotonic() - _web["at"] > NAMES_FOR_S or _web["db"] is not c.db:
        try:
            count = await asyncio.to_thread(web_reports.waiting_count, c.db)
        except DatabaseUnavailable as err:
            log.warning("wallboard keeps the web reports' count it had: %s", str(err).splitlines()[0])
            return _web["count"] if _web["db"] is c.db else None
        _web.update(at=time.monotonic(), db=c.db, count=count)
    return _web["count"]


def agent_state(c: Console, agent: str) -> dict[str, Any]:
    seat = c.acd.board.seats.get(agent)
    now = time.time()
    name = _names["names"].get(agent) or agent
    if seat is None:
        return {"agent": agent, "name": name, "state": "logged_out", "reason": None, "seconds": 0, "queues": [],
                "ticket": None, "version": 0}
    return {"agent": agent, "name": name, "state": seat.state, "reason": seat.reason,
            "seconds": int(now - seat.since) if seat.since else 0, "queues": sorted(seat.queues),
            "ticket": c.hub.current.get(agent) if seat.state in ("talking", "wrapup") else None,
            "version": seat.version}  # the answer to a click may arrive after the push of a newer state


async def snapshot(c: Console) -> dict[str, Any]:
    today = await _today_figures(c)
    await _agent_names(c)
    thresholds = c.site.wallboard
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
        offered, abandoned = figures.get("offered", 0), figures.get("abandoned", 0)
        row = {"queue": q.name, "waiting": len(joined), "longest_wait_s": int(now - min(joined)) if joined else 0,
               "agents": counts, "offered": offered, "answered": figures.get("answered", 0),
               "abandoned": abandoned, "abandoned_rate": abandoned / offered if offered else None,
               "service_level": live_service_level(figures.get("service_level"), offered,
                                                   sum(1 for t in joined if now - t < stats.SERVICE_LEVEL_S))}
        row["levels"] = queue_levels(row, thresholds)
        queues.append(row)
    agents = [agent_state(c, s.member) for s in sorted(seats, key=lambda s: s.member)]
    overdue = await _overdue_count(c)
    web_waiting = await _web_waiting(c)
    return {"queues": queues, "agents": agents, "service_level_s": stats.SERVICE_LEVEL_S,
            "thresholds": asdict(thresholds), "ami": c.acd.synced.is_set(),
            # agencies' cases past their deadline: any one is red (someone must chase it)
            "overdue": overdue, "overdue_level": "red" if overdue else "normal",
            # citizens' reports from the portal no agent has taken yet: amber while any wait
            "web_waiting": web_waiting, "web_waiting_level": "amber" if web_waiting else "normal"}
