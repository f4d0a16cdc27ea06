"""Takes recordings into the store once MixMonitor has closed them (see recordings.store)."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from db.queries.recordings import answered_seconds, ticket_of_file as ticket_code
from db.types import Database
from db.writer import TicketBook, TicketHandle
from recordings import store
from config import Site

log = logging.getLogger("tongdai.recordings")


SETTLE_S = 1.0  # a marker this young waits: the call's end (AMI Hangup) lands in the books first


class RecordingWatcher:
    def __init__(self, site: Site, db: Database, book: TicketBook, interval: float = 0.5):
        self.site, self.db, self.book, self.interval = site, db, book, interval
        self.taken = 0
        self.failing: dict[str, int] = {}  # recordings waiting in the spool after a failed store -> tries
        self.unreconciled: set[str] = set()  # fallback recordings waiting for their call's ticket

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            for marker in sorted(store.closed_dir(self.site).glob("*")):
                try:
                    if time.time() - marker.stat().st_mtime < SETTLE_S:
                        continue
                    await self.take(marker)
                except OSError as e:  # disk full, permissions: the file stays in the spool, retried
                    await self._failed(marker.name, e)

    async def _failed(self, name: str, error: OSError) -> None:
        """Reported once per recording (log, ticket event); then retried quietly until it goes in."""
        tries = self.failing.get(name, 0) + 1
        self.failing[name] = tries
        if tries > 1:
            return
        log.error("recordings store: cannot store %s (kept in the spool, retried): %s", name, error)
        code = await asyncio.to_thread(ticket_code, self.db, name)
        if code:
            TicketHandle(self.book, code, "").event("recording_failed", error=str(error),
                                                    store=str(self.site.paths.recordings))

    async def take(self, marker: Path) -> None:
        name = marker.name
        src = store.monitor_dir(self.site) / f"{name}.wav"
        code = await asyncio.to_thread(ticket_code, self.db, name)
        if code is None and name.startswith("fallback-") and src.exists():
            if name not in self.unreconciled:  # reconciliation (at start, then every minute) makes the ticket
                self.unreconciled.add(name)
                log.info("recording %s waits for its call's ticket (reconciliation from CDR)", name)
            return
        self.unreconciled.discard(name)
        if not src.exists() or code is None:
            log.error("recording %s closed but its file is missing: nothing was recorded", name)
            marker.unlink()
            return
        kind = "callback" if name.startswith("callback-") else "call"  # fallback-: the call's own recording
        await self.book.flush(5)  # the call's end must be written before its length is compared
        expected = await asyncio.to_thread(answered_seconds, self.db, code) if kind == "call" else None
        now = datetime.now(UTC)
        stored = await asyncio.to_thread(store.take, self.site, src, now, expected)
        self.book.recording(code, kind, stored)
        marker.unlink()
        self.taken += 1
        tries = self.failing.pop(name, 0)
        log.info("[%s] recording stored: %s (%.1f s)%s", code, stored.path, stored.duration_s or 0,
                 f" after {tries} failed tries" if tries else "")
