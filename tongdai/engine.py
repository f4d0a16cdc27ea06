"""The tongdai engine: wires the site's parts together in one asyncio process."""
from __future__ import annotations

import asyncio
import functools
import gc
import logging

from db.types import DatabaseUnavailable

from acd import phones
from agencies.escalation import run_reminders
from acd.autodial import AutoDialer
from acd.pin_guard import PinGuard
from acd.security import SecurityWatch
from acd.service import Acd
from agi_scripts.server import FastAgiServer
from asterisk_conf import Layout
from db import reconcile, store
from db.queries import agencies as agency_books
from db.writer import TicketBook
from ivr import flows, hours
from ivr.menu import load_menu
from notify import Outbox
from portal.app import PublicSite
from recordings.watcher import RecordingWatcher
from config import Site
from web.accounts import ensure_admin
from web.app import WebConsole
from web.context import Console

log = logging.getLogger("tongdai.engine")


class Engine:
    def __init__(self, site: Site):
        self.site = site
        self.tree = load_menu(site)
        self.db = store.connect(site.paths.database_url)
        self.tickets = TicketBook(self.db, site.hotline, site.timezone, site.paths.data / "pending-tickets.jsonl")
        self.acd = Acd(site, self.db, self.tickets)
        ctx = flows.Context(site, self.tree, self.tickets, functools.partial(hours.now, site), self.acd.queue_info)
        routes = {"ivr": functools.partial(flows.hotline, ctx),
                  "agent": functools.partial(phones.agent_codes, self.acd.desk, PinGuard(), self.tickets),
                  "supervisor": functools.partial(phones.supervisor_codes, self.acd.desk, self.tickets)}
        self.agi = FastAgiServer(routes, site.paths.sounds, "127.0.0.1", site.ports.agi, self.acd.live_channel)
        self.recordings = RecordingWatcher(site, self.db, self.tickets)
        self.autodial = AutoDialer(site, self.acd)
        self.security = SecurityWatch(site, self.tickets)
        self.acd.listeners.append(self.security.on_event)
        self.web = WebConsole(Console(site, self.db, self.tickets, self.acd, self.security, self.agi,
                                      self.recordings))
        self.public = PublicSite(site, self.db)
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        try:
            await asyncio.to_thread(store.migrate, self.db)
        except DatabaseUnavailable as e:  # calls go on; tickets wait in memory until the database is back
            log.error("database unavailable at start: %s", str(e).splitlines()[0])
        try:  # the site file's agencies into the books (history kept); without the database, next start
            await asyncio.to_thread(agency_books.sync, self.db, self.site.agencies)
        except DatabaseUnavailable as e:
            log.error("agencies not synced: %s", str(e).splitlines()[0])
        await self.tickets.start()
        await self.acd.start()
        await self.agi.start()
        await asyncio.to_thread(ensure_admin, self.site, self.db)
        await self.web.start()
        await self.public.start()
        await asyncio.to_thread(self.security.start)
        self.tasks.append(asyncio.create_task(self.recordings.run(), name="recordings"))
        self.tasks.append(asyncio.create_task(Outbox(self.site, self.db).run(), name="notify"))
        self.tasks.append(asyncio.create_task(run_reminders(self.site, self.db), name="reminders"))
        self.tasks.append(asyncio.create_task(self._reconcile(), name="reconcile"))
        if self.site.callbacks.auto:
            self.tasks.append(asyncio.create_task(self.autodial.run(), name="autodial"))

    async def _reconcile(self) -> None:
        """Calls Asterisk handled without us (engine down or killed) into the books: now, then every minute."""
        layout = Layout.for_site(self.site)
        while True:
            state = self.site.paths.data / "reconcile.json"
            try:
                plan = await asyncio.to_thread(reconcile.find, self.db, self.site.trunk.name,
                                               layout.log / "cdr-csv" / "Master.csv", layout.log / "queue_log",
                                               state, set(self.tickets.codes))
                reconcile.apply(self.tickets, plan, state)
            except (DatabaseUnavailable, OSError) as e:
                log.error("reconciling from Asterisk's CDR failed (next try in a minute): %s", e)
            await asyncio.sleep(60)

    async def close(self) -> None:
        await self.agi.close()
        await self.web.close()
        await self.public.close()
        await asyncio.to_thread(self.security.close)
        for task in self.tasks:
            task.cancel()
        await self.acd.close()
        await self.tickets.close()
        self.db.dispose()


async def serve(site: Site, stop: asyncio.Event) -> None:
    """Run the engine until `stop` is set."""
    engine = Engine(site)
    await engine.start()
    # What exists now (modules, the apps, caches) lives as long as the engine: out of the cyclic
    # collector's way. Its full passes walked all of it (over 100,000 objects, 30-70 ms each) and
    # paused every call's prompts, a few times a minute under load.
    gc.collect()
    gc.freeze()
    try:
        await stop.wait()
    finally:
        await engine.close()
