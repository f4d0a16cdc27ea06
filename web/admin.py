"""Web administration for admins (filled in by the administration work of issue 15)."""
from __future__ import annotations

from aiohttp import web


def routes() -> list[web.RouteDef]:
    return []
