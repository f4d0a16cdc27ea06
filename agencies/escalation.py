"""The reminders' loop: every minute, each open assignment's due step (agencies.reminders) is sent
once (db.queries.reminders.send_step), and the outbox is woken to deliver it.

A database that does not answer only delays the next pass (the steps are decided from the stored
times, so nothing is missed: a late pass sends the highest step reached). Two engines on the same
database never send a step twice: the conditional write lets only one of them through.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from agencies.reminders import step_due, step_notice
from config import Site
from config.settings import Label, ReportField
from db.clock import utcnow
from db.queries import reminders as books
from db.types import Database, DatabaseUnavailable
from notify.outbox import wake_all

log = logging.getLogger("tongdai.reminders")
EVERY_S = 60.0


def _label(labels: Sequence[Label | ReportField], key: str | None) -> str:
    return next((x.vi for x in labels if x.key == key), key or "-")


def link_base(site: Site) -> str:
    """Where a one-time link points (as a forward's: the console's public address + /a/)."""
    return (site.notify.public_url or f"http://{site.ports.bind}:{site.ports.web}") + "/a/"


def remind_due(site: Site, db: Database, now: datetime | None = None) -> list[tuple[int, int]]:
    """One pass at `now` (naive UTC): the (assignment, step) pairs sent."""
    now = now or utcnow()
    tz, sent = ZoneInfo(site.timezone), []
    for p in books.pending(db):
        step = step_due(site, field=p.field, agency=p.agency, created_at=p.created_at, deadline_at=p.deadline_at,
                        now=now, reminded=p.reminded)
        if step is None:
            continue
        deadline = p.deadline_at.replace(tzinfo=UTC).astimezone(tz).strftime("%H:%M %d/%m/%Y")
        notice = step_notice(site.hotline, step, p.code, _label(site.fields, p.field), _label(site.areas, p.area),
                             p.summary or "", deadline, p.agency_name)
        if books.send_step(db, books.Step(p.id, step, now, notice.subject, notice.email, notice.sms, link_base(site),
                                          site.agencies.link_hours)) is not None:
            sent.append((p.id, step))
            log.info("assignment %d (%s, %s): %d%% step sent", p.id, p.code, p.agency, step)
    return sent


async def run_reminders(site: Site, db: Database, *, every_s: float = EVERY_S,
                        clock: Callable[[], datetime] = utcnow) -> None:
    """Pass after pass until cancelled."""
    while True:
        try:
            if await asyncio.to_thread(remind_due, site, db, clock()):
                wake_all()  # the outbox sends them now, not at its next poll
        except DatabaseUnavailable as e:
            log.warning("reminders paused, database unavailable: %s", str(e).splitlines()[0])
        except Exception:  # one bad row must not stop the reminders for good
            log.exception("reminders pass failed; the next pass tries again")
        await asyncio.sleep(every_s)
