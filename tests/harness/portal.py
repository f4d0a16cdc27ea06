"""The public portal in tests: served in this process on a free loopback port over the test site's
database (no Asterisk), with plain HTTP clients (no login: it is public)."""
from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import aiohttp
from aiohttp import web

from db import store
from portal.app import make_public_app
from portal.context import Public
from tests.harness.sipp import free_port
from tests.harness.site import make_site


class ServedPortal:
    def __init__(self, tmp_path: Path, site=None, **site_changes: dict):
        self.site = site or make_site(tmp_path, **site_changes)
        self.db = store.connect(self.site.paths.database_url)
        store.migrate(self.db)
        self.public = Public(self.site, self.db)
        self.sessions: list[aiohttp.ClientSession] = []

    async def __aenter__(self) -> ServedPortal:
        self.app = make_public_app(self.public)
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        port = free_port(socket.SOCK_STREAM)
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.base = f"http://127.0.0.1:{port}"
        return self

    def client(self) -> aiohttp.ClientSession:
        self.sessions.append(aiohttp.ClientSession(base_url=self.base, cookie_jar=aiohttp.CookieJar(unsafe=True)))
        return self.sessions[-1]

    async def __aexit__(self, *exc) -> None:
        for s in self.sessions:
            await s.close()
        await self.runner.cleanup()
        self.db.dispose()


class ThreadedPortal:
    """A ServedPortal on its own loop in a thread, for Playwright's sync API."""

    def __init__(self, tmp_path: Path, site=None, **site_changes: dict):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.served: ServedPortal = self.run(ServedPortal(tmp_path, site, **site_changes).__aenter__())

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        self.run(self.served.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
