"""What the console's handlers share: the site, the database, the ticket book, the ACD, the live hub."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from config import Site
from db.queries.accounts import UserView
from db.types import Database
from db.writer import TicketBook

if TYPE_CHECKING:
    from acd.security import SecurityWatch
    from acd.service import Acd
    from agi_scripts.server import FastAgiServer
    from recordings.watcher import RecordingWatcher
    from web.guard import RateLimiter
    from web.live import Hub


@dataclass
class Console:
    site: Site
    db: Database
    book: TicketBook
    acd: Acd
    security: SecurityWatch | None = None
    agi: FastAgiServer | None = None
    recordings: RecordingWatcher | None = None
    hub: Hub = field(init=False)
    jobs: set = field(default_factory=set)  # background tasks (screen-pops, callback dials), kept referenced
    limiter: RateLimiter = field(init=False)


CONSOLE = web.AppKey("console", Console)


def console(request: web.Request) -> Console:
    return request.app[CONSOLE]


HOME = {"agent": "/agent", "supervisor": "/wallboard", "callback": "/callbacks", "leader": "/reports",
        "admin": "/wallboard", "agency": "/agency"}

# what the session middleware puts on each request
USER = web.RequestKey("user", UserView)
CSRF = web.RequestKey("csrf", str)
TOKEN = web.RequestKey("token", str)
