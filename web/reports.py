"""Leaders' reports: JSON for the page's tables and charts, CSV (one table per file) and a zip
of every table for a spreadsheet, in the reader's language (Vietnamese unless they chose English);
and the agencies' figures (received, on time, late, open overdue, median time to answer) per
agency and per field, as JSON and CSV (`agency_report` is also what `tongdai stats --agencies` prints)."""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import Engine

from acd import reports
from agencies import statistics
from config import Site
from config.local_time import parse_day
from db.clock import utcnow
from db.queries import agencies as stored_agencies
from db.queries.agency_stats import TooManyAssignments, forwarded_between
from web.context import console
from web.guard import allow, fail
from web.language import catalog, language_of

LEADERS = ("leader", "supervisor")


def _dates(request: web.Request, tz: str) -> tuple[date, date]:
    """`range=today|week|month|last_month` (site-local days), else `from`/`to` as dd/mm/yyyy (the
    site's way) or yyyy-mm-dd (default: the last 7 days)."""
    today = datetime.now(ZoneInfo(tz)).date()
    if request.query.get("range"):
        try:
            return reports.quick_range(request.query["range"], today)
        except ValueError as e:
            raise fail(400, str(e)) from None
    try:
        last = parse_day(request.query.get("to") or today.isoformat())
        first = parse_day(request.query.get("from") or (last - timedelta(days=6)).isoformat())
    except ValueError:
        raise fail(400, "from, to: dates dd/mm/yyyy or YYYY-MM-DD", code="bad_date") from None
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
    data, names = await _report(request), _names(request)
    agencies = await _agencies(request)  # the agencies' tables too: one download has every table
    more = {f"agencies-{name}": statistics.table(agencies, name, names) for name in statistics.TABLES}
    return web.Response(body=reports.to_zip(data, names, more), content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="tongdai-{data["from"]}-{data["to"]}.zip"'})


def agency_report(db: Engine, site: Site, first: date, last: date, now: datetime) -> dict[str, Any]:
    """The agencies' figures for the site-local days first..last (assignments by forward day),
    open cases judged at `now` (naive UTC). PeriodError or TooManyAssignments when refused."""
    start, end = statistics.period(first, last, site.timezone)
    rows = forwarded_between(db, start, end)
    # the name each agency has in the books (added by hand or by CSV too), else in the site file
    names = {a.key: a.name for a in site.agencies.agencies} | {a.key: a.name for a in stored_agencies.every(db)}
    fields = {f.key: (f.vi, f.en) for f in site.fields}
    return {"from": first.isoformat(), "to": last.isoformat(),
            **statistics.report(rows, now, names, fields)}


async def _agencies(request: web.Request) -> dict[str, Any]:
    c = console(request)
    first, last = _dates(request, c.site.timezone)
    try:
        return await asyncio.to_thread(agency_report, c.db, c.site, first, last, utcnow())
    except statistics.PeriodError as e:
        raise fail(400, str(e), code=e.code) from None
    except TooManyAssignments as e:
        raise fail(400, str(e), code="too_many") from None


@allow(*LEADERS)
async def get_agencies(request: web.Request) -> web.Response:
    return web.json_response(await _agencies(request))


@allow(*LEADERS)
async def get_agencies_csv(request: web.Request) -> web.Response:
    """The per agency (`table=agencies`, the default) or per field figures as CSV."""
    name = request.query.get("table", "agencies")
    if name not in statistics.TABLES:
        raise fail(400, f"table: one of {', '.join(statistics.TABLES)}")
    data = await _agencies(request)
    out = io.StringIO()
    out.write(reports.BOM)
    csv.writer(out).writerows(statistics.table(data, name, _names(request)))
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="tongdai-{name}-{data["from"]}-{data["to"]}.csv"'})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/reports", get_report), web.get("/api/reports.csv", get_csv),
            web.get("/api/reports.zip", get_zip), web.get("/api/reports/agencies", get_agencies),
            web.get("/api/reports/agencies.csv", get_agencies_csv)]
