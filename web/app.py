"""The console's aiohttp application, served by the engine process on ports.bind:ports.web."""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from agi_scripts.protocol import ROUND_TRIPS
from db.models import CASE_STATUSES, TICKET_KINDS, TICKET_STATUSES
from web import (accounts, admin, agency, callbacks, desk, exports, forwarding, language, live, login, pages,
                 publication, reports, tickets, triage, wallboard)
from web.context import CONSOLE, Console
from web.guard import RateLimiter, allow, body, database, fail, headers, session

log = logging.getLogger("tongdai.web")
HERE = pages.HERE


@allow(*accounts.ROLES)
async def site_info(request: web.Request) -> web.Response:
    site = request.app[CONSOLE].site
    return web.json_response({
        "hotline": site.hotline, "province": site.province, "timezone": site.timezone,
        "fields": [{"key": f.key, "vi": f.vi, "en": f.en} for f in site.fields],
        "queues": [q.name for q in site.queues], "statuses": list(TICKET_STATUSES + CASE_STATUSES),
        "case_statuses": list(CASE_STATUSES), "areas": [a.key for a in site.areas],
        "outcomes": [o.key for o in site.desk.outcomes], "outcome_required": site.desk.outcome_required,
        "required": dict(site.desk.required), "kinds": list(TICKET_KINDS)})


@allow()  # admin only
async def list_users(request: web.Request) -> web.Response:
    found = await asyncio.to_thread(accounts.users, request.app[CONSOLE].db)
    return web.json_response({"users": [u.as_dict() for u in found]})


@allow()
async def add_user(request: web.Request) -> web.Response:
    data = await body(request)
    try:
        user = await asyncio.to_thread(accounts.add_user, request.app[CONSOLE].db, str(data.get("username", "")),
                                       str(data.get("role", "")), str(data.get("password", "")),
                                       str(data["extension"]) if data.get("extension") else None, data.get("name"))
    except accounts.AccountError as e:
        raise fail(400, str(e)) from None
    return web.json_response(user.as_dict(), status=201)


@allow("supervisor")
async def metrics(request: web.Request) -> web.Response:
    """For IT staff and the benchmark: AGI round trips since `since` (epoch), sessions, writer, AMI, bans."""
    c = request.app[CONSOLE]
    try:
        since = float(request.query.get("since", "0"))
    except ValueError:
        raise fail(400, "since: seconds since the epoch") from None
    rtts = sorted(ROUND_TRIPS.since(since))

    def pct(p: float) -> float | None:
        return round(rtts[min(len(rtts) - 1, int(p / 100 * (len(rtts) - 1) + 0.5))] * 1000, 2) if rtts else None

    return web.json_response({
        "agi": {"count": len(rtts), "p50_ms": pct(50), "p99_ms": pct(99),
                "sessions_active": c.agi.active if c.agi else None, "sessions_served": c.agi.served if c.agi else None},
        "tickets": {"pending_writes": len(c.book.pending), "write_failures": c.book.failures},
        "ami": {"synced": c.acd.synced.is_set(), "asterisk_restarts": c.acd.restarts},
        "recordings": {"waiting_after_failure": len(c.recordings.failing) if c.recordings else None,
                       "stored": c.recordings.taken if c.recordings else None},
        "security": c.security.picture() if c.security else None})


async def openapi(request: web.Request) -> web.FileResponse:
    return web.FileResponse(HERE / "openapi.json", headers={"Content-Type": "application/json"})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def make_app(c: Console) -> web.Application:
    app = web.Application(middlewares=[headers, pages.friendly_errors, database, session],
                          client_max_size=256 * 1024)
    app[CONSOLE] = c

    async def names(_app: web.Application) -> None:  # the pause reasons' names for the catalogs
        await language.load_reasons(c.db)
    app.on_startup.append(names)
    c.limiter = RateLimiter()
    c.hub = live.Hub(c)
    for module in (login, language, pages, tickets, forwarding, agency, exports, desk, wallboard, callbacks, reports,
                   publication, triage, admin, live):
        app.add_routes(module.routes())
    app.add_routes([web.get("/api/site", site_info), web.get("/api/users", list_users),
                    web.post("/api/users", add_user), web.get("/api/openapi.json", openapi),
                    web.get("/api/metrics", metrics),
                    web.get("/healthz", healthz)])
    return app


class WebConsole:
    """Starts and stops the console inside the engine's event loop."""

    def __init__(self, c: Console):
        self.console = c
        self.app = make_app(c)
        self.runner = web.AppRunner(self.app, access_log=None)

    async def start(self) -> None:
        await self.runner.setup()
        site = self.console.site
        await web.TCPSite(self.runner, site.ports.bind, site.ports.web).start()
        self.console.hub.start()
        self.console.acd.listeners.append(self.console.hub.on_ami)
        log.info("console on http://%s:%d/", site.ports.bind, site.ports.web)

    async def close(self) -> None:
        await self.console.hub.close()
        await self.runner.cleanup()
