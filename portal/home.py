"""The portal's front page: what a citizen can do here, and the hotline to call."""
from __future__ import annotations

from aiohttp import web

from portal.language import render


async def front(request: web.Request) -> web.Response:
    return render(request, "home.html")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def routes() -> list[web.RouteDef]:
    return [web.get("/", front), web.get("/healthz", healthz)]
