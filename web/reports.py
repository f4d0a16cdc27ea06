"""Leaders' reports: JSON for the page's tables and charts, CSV for a spreadsheet."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from acd import reports
from web.context import console
from web.guard import allow, fail

LEADERS = ("leader", "supervisor")


async def _report(request: web.Request) -> dict:
    c = console(request)
    today = datetime.now(ZoneInfo(c.site.timezone)).date()
    try:
        last = date.fromisoformat(request.query.get("to") or today.isoformat())
        first = date.fromisoformat(request.query.get("from") or (last - timedelta(days=6)).isoformat())
    except ValueError:
        raise fail(400, "from, to: dates YYYY-MM-DD") from None
    try:
        return await asyncio.to_thread(reports.report, c.db, c.site.timezone, first, last)
    except ValueError as e:
        raise fail(400, str(e)) from None


@allow(*LEADERS)
async def get_report(request: web.Request) -> web.Response:
    return web.json_response(await _report(request))


@allow(*LEADERS)
async def get_csv(request: web.Request) -> web.Response:
    data = await _report(request)
    return web.Response(text=reports.to_csv(data), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="tongdai-{data["from"]}-{data["to"]}.csv"'})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/reports", get_report), web.get("/api/reports.csv", get_csv)]
