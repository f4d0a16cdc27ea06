"""Ticket numbers (`1022-261203-0042`), unique across every engine that shares the database.

Each engine reserves a block of numbers for the day in one short transaction (an UPDATE of the
day's counter, which both SQLite and PostgreSQL serialise), and hands them out without waiting
for the database: a call never waits for its number. The next block is fetched in the background
when half of the current one is used. While the database cannot be reached and the block is
used up, numbers come from the clock (100000 and above: never a reserved number; each engine
keeps to its own random residue modulo 1000, so two engines do not meet), so no call is ever
refused a number.
"""
from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from db.models import Ticket, TicketCounter

log = logging.getLogger("tongdai.tickets")
BLOCK = 100
CLOCK_BASE = 100000  # numbers from the clock start here; reserved ones stay below


def reserve(engine: Engine, prefix: str, count: int = BLOCK) -> int:
    """Reserve `count` numbers of the day `prefix`; returns the first."""
    for _ in range(5):
        with Session(engine) as s, s.begin():
            new_next = s.scalar(update(TicketCounter).where(TicketCounter.prefix == prefix)
                                .values(next=TicketCounter.next + count).returning(TicketCounter.next))
            if new_next is not None:
                return int(new_next) - count
        try:  # the day's first reservation: start above tickets written before counters existed
            with Session(engine) as s, s.begin():
                codes = s.scalars(select(Ticket.code).where(Ticket.code.like(f"{prefix}%"),
                                                            func.length(Ticket.code) <= len(prefix) + 5))
                floor = max((int(c.rsplit("-", 1)[1]) for c in codes), default=0) + 1
                s.add(TicketCounter(prefix=prefix, next=floor + count))
            return floor
        except IntegrityError:
            continue  # another engine created it first: reserve from it
    raise RuntimeError(f"could not reserve ticket numbers for {prefix}")


class TicketNumbers:
    def __init__(self, engine: Engine, hotline: str, tz: ZoneInfo):
        self.engine, self.hotline, self.tz = engine, hotline, tz
        self.prefix = ""
        self.next = self.end = 0  # the block [next, end) of self.prefix
        self.pending: tuple[int, int] | None = None  # the next block, fetched before this one ran out
        self.clock_next = 0
        self.tag = random.randrange(1000)  # this engine's clock numbers end in it (modulo 1000)
        self.from_clock = False  # logged once per stretch without a block
        self.refill: asyncio.Task[None] | None = None

    def prefix_for(self, now: datetime) -> str:
        return f"{self.hotline}-{now.strftime('%y%m%d')}-"

    async def start(self) -> None:
        await self._refill(self.prefix_for(datetime.now(self.tz)))

    async def _refill(self, prefix: str) -> None:
        try:
            first = await asyncio.to_thread(reserve, self.engine, prefix)
        except (SQLAlchemyError, RuntimeError) as e:
            log.warning("ticket numbers: cannot reserve a block (%s); numbers come from the clock meanwhile",
                        str(e).splitlines()[0])
            return
        if prefix != self.prefix or self.next >= self.end:
            self.prefix, self.next, self.end = prefix, first, first + BLOCK
        else:  # the rest of the current block is used first; the new one follows (blocks need not touch)
            self.pending = (first, first + BLOCK)

    def _schedule(self, prefix: str) -> None:
        if self.refill is None or self.refill.done():
            try:
                self.refill = asyncio.get_running_loop().create_task(self._refill(prefix))
            except RuntimeError:
                pass  # no loop (a synchronous caller): the next call schedules it

    def take(self, now: datetime) -> str:
        prefix = self.prefix_for(now)
        if prefix == self.prefix and self.next >= self.end and self.pending:
            (self.next, self.end), self.pending = self.pending, None
        if prefix != self.prefix or self.next >= self.end:
            self._schedule(prefix)
            return f"{prefix}{self._from_clock(now)}"
        number, self.next = self.next, self.next + 1
        self.from_clock = False
        if self.end - self.next <= BLOCK // 2 and not self.pending:
            self._schedule(prefix)
        return f"{prefix}{number:04d}"

    def _from_clock(self, now: datetime) -> int:
        step = (now.hour * 3600 + now.minute * 60 + now.second) * 10  # a restart later in the day starts higher
        self.clock_next = max(self.clock_next + 1, step)
        number = CLOCK_BASE + self.clock_next * 1000 + self.tag
        if not self.from_clock:
            self.from_clock = True
            log.warning("ticket numbers come from the clock (no reserved block yet): %d", number)
        return number
