"""Leaders' reports: JSON for the page's tables and charts, CSV (one table per file) and a zip
of every table for a spreadsheet, in the reader's language (Vietnamese unless they chose English)."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from acd import reports
from web.context import console
from web.guard import allow, fail
from web.language import catalog, language_of

LEADERS = ("leader", "supervisor")


def _dates(request: web.Request, tz: str) -> tuple[date, date]:
    """`range=today|week|month|last_month` (site-local days), else `from`/`to` (default: the last 7 days)."""
    today = datetime.now(ZoneInfo(tz)).date()
    if request.query.get("range"):
        try:
            return reports.quick_range(request.query["range"], today)
        except ValueError as e:
            raise fail(400, str(e)) from None
    try:
        last = date.fromisoformat(request.query.get("to") or today.isoformat())
        first = date.fromisoformat(request.query.get("from") or (last - timedelta(days=6)).isoformat())
    except ValueError:
        raise fail(400, "from, to: dates YYYY-MM-DD", code="bad_date") from None
    return first, last


async def _report(request: web.Request) -> dict:
    c = console(request)
    first, last = _dates(request, c.site.timezone)
    try:
        data = await asyncio.to_thread(reports.report, c.db, c.site.timezone, first, last)
    except ValueError as e:
        raise fail(400, str(e)) from None
    data["services"] = {number: service for service, number in c.site.emergency.numbers.items()}
    # only transfers to the emergency services count as such (not an agent's to a colleague or a queue)
    data["emergency_transfers"] = {n: k for n, k in data["emergency_transfers"].items() if n in data["services"]}
    return data


def _names(request: web.Request) -> dict[str, str]:
    return catalog(language_of(request), console(request).site)


@allow(*LEADERS)
async def get_report(request: web.Request) -> web.Response:
    return web.json_response(await _report(request))


@allow(*LEADERS)
async def get_csv(request: web.Request) -> web.Response:
    """One table (`table=`, default the per-field figures) as CSV."""
    name = request.query.get("table", "fields")
    if name not in reports.TABLES:
        raise fail(400, f"table: one of {', '.join(reports.TABLES)}")
    data = await _report(request)
    return web.Response(text=reports.to_csv(data, name, _names(request)), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="tongdai-{name}-{data["from"]}-{data["to"]}.csv"'})


@allow(*LEADERS)
async def get_zip(request: web.Request) -> web.Response:
    data = await _report(request)
    return web.Response(body=reports.to_zip(data, _names(request)), content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="tongdai-{data["from"]}-{data["to"]}.zip"'})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/reports", get_report), web.get("/api/reports.csv", get_csv),
            web.get("/api/reports.zip", get_zip)]
