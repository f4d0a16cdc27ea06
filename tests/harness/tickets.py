"""Read tickets the engine wrote, waiting for the asynchronous writer."""
from __future__ import annotations

import time
from typing import Callable

from sqlalchemy.exc import OperationalError

from db import store
from tongdai.config import Site


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
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(done)}/{count} closed tickets for {caller}: {tickets}")
            time.sleep(0.2)
    finally:
        engine.dispose()


def kinds(ticket: dict) -> list[str]:
    return [e["kind"] for e in ticket["events"]]
