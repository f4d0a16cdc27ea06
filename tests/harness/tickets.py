"""Read tickets the engine wrote, waiting for the asynchronous writer."""
from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db import store
from db.models import Call, Callback, Recording, Ticket
from db.clock import utcnow
from config import Site


def wait_closed(site: Site, caller: str, count: int = 1, timeout: float = 20,
                until: Callable[[dict], bool] = lambda t: True) -> list[dict]:
    """The tickets of `caller` once `count` of them are closed (status no longer in_call) and
    `until` holds for them (facts that come over AMI may land just after the flow closed it)."""
    engine = store.connect(site.paths.database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                tickets = [store.as_dict(t) for t in store.list_tickets(engine, caller=caller)]
            except OperationalError:  # the engine may still be creating the schema
                tickets = []
            done = [t for t in tickets if t["status"] != "in_call" and until(t)]
            if len(done) >= count:
                # the ticket row and its events are read by separate statements: the events may
                # show a batch the row was read just before. That batch is committed now, so one
                # more read sees all of it.
                again = [store.as_dict(t) for t in store.list_tickets(engine, caller=caller)]
                return [t for t in again if t["status"] != "in_call" and until(t)]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(done)}/{count} closed tickets for {caller}: {tickets}")
            time.sleep(0.2)
    finally:
        engine.dispose()


def kinds(ticket: dict) -> list[str]:
    return [e["kind"] for e in ticket["events"]]


def seed_callback(site, number: str) -> int:
    """A ticket waiting for a callback to `number`, due now; returns the callback id."""
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    now = utcnow()
    with Session(db) as s, s.begin():
        call = Call(uniqueid=f"cb.{time.time()}", started_at=now, language="vi", caller_number=number)
        s.add(call)
        s.flush()
        t = Ticket(code=f"1022-999999-{time.time_ns() % 10000:04d}", call_id=call.id, status="callback_pending",
                   priority=3, created_at=now, kind="after_hours")
        s.add(t)
        s.flush()
        cb = Callback(ticket_id=t.id, number=number, language="vi", queued_at=now, due_at=now, attempts=0,
                      state="pending", updated_at=now)
        s.add(cb)
        s.flush()
        return cb.id


def recordings_of(site: Site, code: str, timeout: float = 20) -> list[Recording]:
    """The ticket's recordings, once the engine has stored at least one (or `timeout` passed)."""
    db = store.connect(site.paths.database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with Session(db) as s:
                rows = list(s.scalars(select(Recording).join(Ticket).where(Ticket.code == code)).all())
            if rows or time.monotonic() > deadline:
                return rows
            time.sleep(0.3)
    finally:
        db.dispose()
