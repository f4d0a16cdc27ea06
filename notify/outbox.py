"""The outbox: sends queued notifications by their channel and retries them until they go out.

Every pass claims the due rows (a lease: see db.queries.notifications), sends each, and writes the
outcome: `sent`; or still `queued` with the attempt counted, the error and the next try (backing
off from notify.retry_minutes, doubling, up to notify.retry_max_minutes); or `failed` when the
server refused it for good. A channel with no server configured leaves its rows queued with
"not configured". The ticket's timeline hears of each sent or failed notification, and of its first
retry (db.queries.notifications writes those events with the state). A pass runs when something
is queued in this process (`wake_all`) and every `poll_s` seconds (rows queued by another process,
retries falling due).
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp

from config import Site
from config.secrets import load_or_create
from db.clock import utcnow
from db.queries import notifications as books
from db.queries.notifications import NotificationView
from db.types import Database, DatabaseUnavailable

from notify.failure import SendFailed
from notify.mail import send_mail
from notify.sms import send_sms

log = logging.getLogger("tongdai.notify")
NOT_CONFIGURED = "not configured"
_running: weakref.WeakSet[Outbox] = weakref.WeakSet()


def backoff(attempts: int, first: timedelta, cap: timedelta) -> timedelta:
    """The wait after the `attempts`-th failed try: first, 2 x first, 4 x first ... never above cap."""
    doublings = min(max(attempts - 1, 0), 20)  # bounded: a long outage must not overflow timedelta
    return min(first * (1 << doublings), cap)


def wake_all() -> None:
    """Start a pass now in every outbox running in this process (from any thread)."""
    for outbox in list(_running):
        outbox.wake()


class Outbox:
    def __init__(self, site: Site, db: Database, *, first_retry: timedelta | None = None,
                 max_retry: timedelta | None = None, poll_s: float = 5.0, send_timeout_s: float = 20.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.site, self.db, self.poll_s, self.timeout, self.clock = site, db, poll_s, send_timeout_s, clock
        self.first_retry = first_retry or timedelta(minutes=site.notify.retry_minutes)
        self.max_retry = max(max_retry or timedelta(minutes=site.notify.retry_max_minutes), self.first_retry)
        # a claimed row is not offered again before its send has surely ended
        self.lease = timedelta(seconds=max(60.0, 3 * send_timeout_s))
        self._wake = asyncio.Event()
        self.passes = 0  # passes made (tests wait on it instead of sleeping)
        self._loop: asyncio.AbstractEventLoop | None = None

    def configured(self, channel: str) -> bool:
        return bool(self.site.notify.mail.host if channel == "email" else self.site.notify.sms.kannel_url)

    def wake(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Pass after pass until cancelled; a database outage only delays the next pass."""
        self._loop = asyncio.get_running_loop()
        _running.add(self)
        try:
            while True:
                self._wake.clear()
                try:
                    await self.send_due()
                except DatabaseUnavailable as e:
                    log.warning("notifications paused, database unavailable: %s", str(e).splitlines()[0])
                except Exception:  # a bad row or secrets file must not end the sending for good
                    log.exception("notification pass failed; the next pass tries again")
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
                except TimeoutError:
                    pass
        finally:
            _running.discard(self)

    async def send_due(self) -> int:
        """One pass: every due notification sent, retried later or failed. Returns how many were handled."""
        now = self.clock()
        due = await asyncio.to_thread(books.claim_due, self.db, now, self.lease)
        self.passes += 1
        if not due:
            return 0
        secrets = await asyncio.to_thread(self._secrets, {n.channel for n in due})
        down: dict[str, SendFailed] = {}  # a server found unreachable in this pass is not asked again
        async with aiohttp.ClientSession() as http:
            for n in due:
                if not self.configured(n.channel):
                    await asyncio.to_thread(books.mark_waiting, self.db, n.id, NOT_CONFIGURED,
                                            self.clock() + self.first_retry)
                    continue
                try:
                    if n.channel in down:
                        raise down[n.channel]
                    await self._send(http, n, secrets)
                except SendFailed as e:
                    if e.server_down:
                        down[n.channel] = e
                    await self._settle_failure(n, e)
                else:
                    await asyncio.to_thread(books.mark_sent, self.db, n.id, self.clock())
                    log.info("notification %d (%s, %s) sent to %s", n.id, n.purpose, n.channel, n.recipient)
        return len(due)

    def _secrets(self, channels: set[str]) -> dict[str, str]:
        names = (["kannel_password"] if "sms" in channels and self.site.notify.sms.kannel_url else []) + \
            (["mail_password"] if "email" in channels and self.site.notify.mail.username else [])
        return load_or_create(self.site.paths.secrets, names) if names else {}

    async def _send(self, http: aiohttp.ClientSession, n: NotificationView, secrets: dict[str, str]) -> None:
        if n.channel == "email":
            await asyncio.to_thread(send_mail, self.site.notify.mail, secrets.get("mail_password", ""), n.recipient,
                                    n.subject or "", n.body, self.timeout)
        else:
            await send_sms(http, self.site.notify.sms, secrets.get("kannel_password", ""), n.recipient, n.body,
                           self.timeout)

    async def _settle_failure(self, n: NotificationView, e: SendFailed) -> None:
        now = self.clock()
        if e.permanent:
            await asyncio.to_thread(books.mark_failed, self.db, n.id, e.reason, now)
            log.error("notification %d (%s) to %s refused for good: %s", n.id, n.channel, n.recipient, e.reason)
            return
        wait = backoff(n.attempts + 1, self.first_retry, self.max_retry)
        await asyncio.to_thread(books.mark_retry, self.db, n.id, e.reason, now + wait, now)
        log.warning("notification %d (%s) to %s not sent (attempt %d, next in %s): %s", n.id, n.channel,
                    n.recipient, n.attempts + 1, wait, e.reason)
