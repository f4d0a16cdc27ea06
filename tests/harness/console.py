"""The console in tests: an HTTP client that logs in like a browser (cookie + CSRF), and seeded data."""
from __future__ import annotations

import asyncio
import threading

import re
import socket
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy.orm import Session

from acd.service import Acd
from db import store
from db.models import Call, Callback, Recording, Ticket, TicketEvent
from db.writer import TicketBook
from db.clock import utcnow
from tests.harness.sipp import free_port
from tests.harness.site import make_site
from web import accounts
from web.app import make_app
from web.context import Console

PASSWORD = "correct-horse-1022"


class ConsoleClient:
    def __init__(self, base: str):
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def login_token(self) -> str:
        async with self.http.get(f"{self.base}/login") as r:
            return re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)

    async def login(self, username: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        token = await self.login_token()
        r = await self.http.post(f"{self.base}/login", json={"username": username, "password": password, "csrf": token})
        if r.status == 200:
            self.csrf = (await r.json())["csrf"]
        return r

    def request(self, method: str, path: str, csrf: bool = True, **kw):
        headers = kw.pop("headers", {})
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.http.request(method, f"{self.base}{path}", headers=headers, allow_redirects=False, **kw)


def add_users(db) -> None:
    for name, role, ext in (("lan", "agent", "101"), ("minh", "agent", "102"), ("hoa", "supervisor", "201"),
                            ("tuan", "leader", None), ("mai", "callback", "106")):
        accounts.add_user(db, name, role, PASSWORD, ext)


def add_ticket(db, recordings: Path, code: str, agent: str | None, number: str = "0905111222", field: str = "trees",
               with_callback: bool = False) -> int:
    """A closed ticket answered by `agent`, with a 'call' recording on disk; returns the recording id."""
    now = utcnow() - timedelta(minutes=5)
    wav = recordings / "2026" / f"{code}.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    wav.write_bytes(b"RIFF....WAVEfmt " + bytes(64))
    with Session(db) as s, s.begin():
        call = Call(uniqueid=f"u-{code}", caller_number=number, started_at=now)
        s.add(call)
        s.flush()
        t = Ticket(code=code, call_id=call.id, kind="report", field=field, queue="incidents", status="closed",
                   created_at=now, closed_at=now + timedelta(minutes=2), agent=agent, wait_s=4, talk_s=60)
        s.add(t)
        s.flush()
        s.add(TicketEvent(ticket_id=t.id, at=now, kind="menu", detail='{"menu": "main", "digit": "2"}'))
        rec = Recording(ticket_id=t.id, kind="call", path=f"2026/{code}.wav", bytes=80, status="ok", created_at=now)
        s.add(rec)
        if with_callback:
            s.add(Callback(ticket_id=t.id, number=number, language="vi", queued_at=now, due_at=now, updated_at=now))
        s.flush()
        return rec.id


class ServedConsole:
    """The console app in this process on a free loopback port, over a seeded database."""

    def __init__(self, tmp_path: Path, site=None, **site_changes: dict):
        self.site = site or make_site(tmp_path, **site_changes)  # a site given: shared with a ServedPortal
        self.db = store.connect(self.site.paths.database_url)
        store.migrate(self.db)
        add_users(self.db)
        book = TicketBook(self.db, self.site.hotline, self.site.timezone, self.site.paths.data / "pending.jsonl")
        self.console = Console(self.site, self.db, book, Acd(self.site, self.db, book))
        self.clients: list[ConsoleClient] = []

    async def __aenter__(self) -> ServedConsole:
        self.app = make_app(self.console)
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        port = free_port(socket.SOCK_STREAM)
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.base = f"http://127.0.0.1:{port}"
        return self

    def client(self) -> ConsoleClient:
        self.clients.append(ConsoleClient(self.base))
        return self.clients[-1]

    async def logged_in(self, username: str) -> ConsoleClient:
        cl = self.client()
        r = await cl.login(username)
        assert r.status == 200, await r.text()
        return cl

    async def __aexit__(self, *exc) -> None:
        for cl in self.clients:
            await cl.close()
        await self.console.hub.close()
        await self.runner.cleanup()
        self.db.dispose()


class ThreadedConsole:
    """A ServedConsole on its own event loop in a thread, so Playwright's sync API (which wants this
    thread) can drive it; `run(coro)` runs a coroutine on the console's loop."""

    def __init__(self, tmp_path: Path, site=None, **site_changes: dict):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.served: ServedConsole = self.run(ServedConsole(tmp_path, site, **site_changes).__aenter__())

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        self.run(self.served.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
