"""The public app: its middlewares, its pages' modules, and its runner inside the engine's loop
on `[ports] public` (its own address: the province may put it behind a reverse proxy)."""
from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from config import Site
from db.types import Database
from portal import cases, home, lookup, open311, report_form, results
from portal.errors import friendly_errors
from portal.context import PUBLIC, Public
from web.guard import database, headers

log = logging.getLogger("tongdai.portal")
HERE = Path(__file__).parent
VENDOR = HERE.parent / "web" / "static" / "vendor"  # Chart.js, vendored once for both sites
MODULES = [home, results, cases, lookup, report_form, open311]  # each module's routes()


def make_public_app(p: Public) -> web.Application:
    app = web.Application(middlewares=[headers, friendly_errors, database], client_max_size=16 * 1024 * 1024)
    app[PUBLIC] = p
    for module in MODULES:
        app.add_routes(module.routes())
    app.router.add_static("/static/vendor", VENDOR)
    app.router.add_static("/static", HERE / "static")
    return app


class PublicSite:
    """Starts and stops the portal inside the engine's event loop."""

    def __init__(self, site: Site, db: Database):
        self.site = site
        self.app = make_public_app(Public(site, db))
        self.runner = web.AppRunner(self.app, access_log=None)

    async def start(self) -> None:
        await self.runner.setup()
        ports = self.site.ports
        await web.TCPSite(self.runner, ports.public_address, ports.public).start()
        log.info("public portal on http://%s:%d/", ports.public_address, ports.public)

    async def close(self) -> None:
        await self.runner.cleanup()
