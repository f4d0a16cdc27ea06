"""What the public app's handlers share: the site, the database, the figures' cache and the rate
limiter of wrong guesses and submissions."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from config import Site
from db.types import Database
from web.guard import RateLimiter


@dataclass
class Public:
    site: Site
    db: Database
    limits: dict[str, RateLimiter] = field(default_factory=dict)  # by purpose: lookup, report, open311
    cache: dict[str, tuple[float, object]] = field(default_factory=dict)  # key -> (computed at, value)

    def limiter(self, purpose: str, limit: int, window: float) -> RateLimiter:
        if purpose not in self.limits:
            self.limits[purpose] = RateLimiter(limit, window)
        return self.limits[purpose]


PUBLIC = web.AppKey("public", Public)


def public(request: web.Request) -> Public:
    return request.app[PUBLIC]


def client_address(request: web.Request) -> str:
    """The citizen's address: the peer's, or behind the province's reverse proxy (`[public] proxy`)
    the last address that proxy put in X-Forwarded-For. Rate limits count by it."""
    peer = request.remote or ""
    proxy = public(request).site.public.proxy
    if proxy and peer == proxy:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1]
    return peer
