"""Automatic callbacks: due callbacks are dialled, oldest place in line first, as soon as an
agent is ready, inside the calling window."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from db.types import DatabaseUnavailable

from acd import callbacks
from acd.ami import AmiError
from acd.service import Acd
from db.clock import utcnow
from config import Site

log = logging.getLogger("tongdai.callbacks")


class AutoDialer:
    def __init__(self, site: Site, acd: Acd, interval: float = 3):
        self.site, self.acd, self.interval = site, acd, interval
        self.busy: set[str] = set()  # agents on a callback (no queue event tells the board)

    def in_window(self) -> bool:
        now = datetime.now(ZoneInfo(self.site.timezone))
        start, end = self.site.callbacks.window
        return start <= now.hour * 60 + now.minute < end

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if not self.acd.ami.connected.is_set() or not self.in_window():
                continue
            try:
                await self.once()
            except DatabaseUnavailable as e:  # the database is down: try again at the next pass
                log.warning("automatic callbacks paused: %s", str(e).splitlines()[0])

    async def once(self) -> None:
        """Pair due callbacks (oldest place in line first) with ready agents, claim and dial."""
        due = [c for c in await asyncio.to_thread(callbacks.listing, self.acd.db, ("pending",))
               if c.due_at <= utcnow()]
        ready = [m for m, (state, _, _) in self.acd.board.picture().items() if state == "ready" and m not in self.busy]
        for cb, agent in zip(due, ready, strict=False):  # as many as there are both
            if await asyncio.to_thread(callbacks.claim, self.acd.db, cb.id, agent):
                self.busy.add(agent)
                asyncio.create_task(self._dial(cb.id, agent))

    async def _dial(self, callback_id: int, agent: str) -> None:
        try:
            seat = (await self.acd.desk.agent(agent)).seat
            if seat is None:  # logged out since it was picked
                return
            outcome = await callbacks.dial(self.site, self.acd.db, self.acd.ami, callback_id, seat, agent)
            log.info("automatic callback %d by agent %s: %s", callback_id, agent, outcome or "agent did not answer")
        except (TimeoutError, AmiError, callbacks.CallbackError) as e:
            log.error("automatic callback %d by agent %s failed: %s", callback_id, agent, e)
        finally:
            self.busy.discard(agent)
