"""The public results: per agency and per field, for a period (the last 3 months unless the
citizen chooses), received, answered on time, late, open past the deadline, the on-time rate
(open overdue counted against it: a slow agency cannot look punctual by leaving cases open) and
the median time to answer; a monthly trend; the same as CSV and JSON.

The figures are the leaders' (`tongdai stats --agencies`): the same rows (db.queries.agency_stats)
counted by the same rule (agencies.statistics). They are computed once per period and kept for
`[public] cache_seconds` (portal.figures_cache): a page view reads them."""
from __future__ import annotations

import asyncio
import calendar
import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from agencies import statistics
from config import Site
from config.local_time import parse_day
from db.clock import utcnow
from db.queries import agencies as stored_agencies
from db.queries.agency_stats import AssignmentFacts, TooManyAssignments, forwarded_between
from db.types import Database
from portal.context import public
from portal.figures_cache import FiguresCache
from portal.language import gettext, language_of, render, render_text, respond

QUICK = {"1m": 1, "3m": 3, "6m": 6, "12m": 12}  # the period's quick choices: months back from today
DEFAULT = "3m"


def months_back(today: date, months: int) -> date:
    """The day after the same day `months` earlier: 3 months to 12/03/2026 start on 13/12/2025."""
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, calendar.monthrange(y, m + 1)[1])
    return date(y, m + 1, day) + timedelta(days=1)


def chosen_period(query: Mapping[str, str], today: date) -> tuple[date, date, str]:
    """(first, last, choice): `period=1m|3m|6m|12m`, or `from`/`to` (dd/mm/yyyy or yyyy-mm-dd; the
    choice is then 'custom'). ValueError for a bad day or choice."""
    if query.get("from") or query.get("to"):
        last = parse_day(query.get("to") or today.isoformat())
        first = parse_day(query.get("from") or months_back(last, QUICK[DEFAULT]).isoformat())
        return first, last, "custom"
    choice = query.get("period") or DEFAULT
    if choice not in QUICK:
        raise ValueError(f"period: one of {', '.join(QUICK)}")
    return months_back(today, QUICK[choice]), today, choice


def _with_days(row: dict[str, Any]) -> dict[str, Any]:
    hours = row["median_hours"]
    return {**row, "median_days": None if hours is None else round(hours / 24, 1)}


def monthly(rows: list[AssignmentFacts], now: datetime, tz: str, first: date, last: date) -> list[dict[str, Any]]:
    """The period's months (site-local, by forward day), each with its figures, none skipped."""
    zone = ZoneInfo(tz)
    groups: dict[str, list[AssignmentFacts]] = defaultdict(list)
    for a in rows:
        groups[a.forwarded_at.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m")].append(a)
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        key = f"{y:04d}-{m:02d}"
        out.append({"month": key, **_with_days(statistics.figures(groups.get(key, []), now))})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def figures(db: Database, site: Site, first: date, last: date, now: datetime) -> dict[str, Any]:
    """What the page shows for first..last: the leaders' report (as web.reports.agency_report
    makes it, from the same functions) plus the median in days and the monthly trend."""
    start, end = statistics.period(first, last, site.timezone)
    rows = forwarded_between(db, start, end)
    names = {a.key: a.name for a in site.agencies.agencies} | {a.key: a.name for a in stored_agencies.every(db)}
    fields = {f.key: (f.vi, f.en) for f in site.fields}
    data = statistics.report(rows, now, names, fields)
    return {"from": first.isoformat(), "to": last.isoformat(), "computed_at": now.isoformat() + "Z",
            "agencies": [_with_days(r) for r in data["agencies"]], "fields": [_with_days(r) for r in data["fields"]],
            "totals": _with_days(data["totals"]), "months": monthly(rows, now, site.timezone, first, last)}


async def _figures(request: web.Request) -> tuple[dict[str, Any], str]:
    """(figures, choice) of the period asked, from the cache when fresh; 400 for a refused period."""
    p = public(request)
    today = datetime.now(ZoneInfo(p.site.timezone)).date()
    try:
        first, last, choice = chosen_period(request.query, today)
        statistics.period(first, last, p.site.timezone)  # refused before anything is computed
    except statistics.PeriodError as e:
        raise _refused(request, e.code) from None
    except ValueError:
        raise _refused(request, "bad_date") from None
    cache = FiguresCache(p.cache, p.site.public.cache_seconds)
    try:
        data = await cache.get(f"results:{first}:{last}", lambda: asyncio.to_thread(
            figures, p.db, p.site, first, last, utcnow()))
    except TooManyAssignments:
        raise _refused(request, "too_many") from None
    return data, choice


REFUSALS = {"bad_date": "A day is written dd/mm/yyyy.", "bad_range": "The period ends before it starts.",
            "too_long": "Choose a period of at most one year.",
            "too_many": "Too many cases in this period: choose a shorter one."}


def _refused(request: web.Request, code: str) -> web.HTTPException:
    text = gettext(request, REFUSALS[code])
    if request.path.endswith((".csv", ".json")):
        return web.HTTPBadRequest(text=text, content_type="text/plain")
    return web.HTTPBadRequest(text=render(request, "results.html", status=400, error=text, data=None,
                                          choice="", quick=list(QUICK), query=request.query).text,
                              content_type="text/html")


def _names(request: web.Request, data: Mapping[str, Any]) -> dict[str, str]:
    """The column headings and the fields' names in the reader's language (statistics.table's keys)."""
    lang, _ = language_of(request), lambda m: gettext(request, m)
    out = {"reports.agency_name": _("Agency"), "reports.field_name": _("Field"), "reports.ag_received": _("Received"),
           "reports.ag_on_time": _("On time"), "reports.ag_late": _("Late"),
           "reports.ag_open_overdue": _("Open, overdue"),
           "reports.ag_open_in_time": _("Open, in time"), "reports.ag_declined": _("Declined"),
           "reports.ag_on_time_rate": _("On-time rate"), "reports.ag_median_hours": _("Median hours to answer"),
           "reports.none": _("Not recorded")}
    out.update({f"field.{r['key']}": r["name_en" if lang == "en" else "name"] for r in data["fields"]})
    return out


def _field_name(request: web.Request, row: Mapping[str, Any]) -> str:
    if row["key"] == statistics.NO_FIELD:
        return gettext(request, "Not recorded")
    return str(row["name_en"] if language_of(request) == "en" else row["name"])


async def page(request: web.Request) -> web.Response:
    data, choice = await _figures(request)
    chart = {"months": [m["month"] for m in data["months"]],
             "on_time": [m["on_time"] for m in data["months"]], "late": [m["late"] for m in data["months"]],
             "open_overdue": [m["open_overdue"] for m in data["months"]],
             "rate": [None if m["on_time_rate"] is None else round(m["on_time_rate"] * 100) for m in data["months"]],
             "labels": {k: gettext(request, v) for k, v in (("on_time", "On time"), ("late", "Late"),
                                                            ("open_overdue", "Open, overdue"),
                                                            ("rate", "On-time rate (%)"))}}
    fields = [{**r, "shown": _field_name(request, r)} for r in data["fields"]]

    async def rendered() -> str:
        return render_text(request, "results.html", data=data, fields=fields, chart=chart, choice=choice,
                           error=None, quick=list(QUICK), query=request.query, day=_day)

    # the page is kept as long as its figures: rendering ~200 translated strings on every view
    # cost ten times the figures' JSON under load (bench/public.py)
    p = public(request)
    key = f"page:{language_of(request)}:{choice}:{request.query_string}"
    return respond(request, await FiguresCache(p.cache, p.site.public.cache_seconds).get(key, rendered))


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


async def as_json(request: web.Request) -> web.Response:
    data, _choice = await _figures(request)
    return web.json_response(data)


async def as_csv(request: web.Request) -> web.Response:
    """The agencies' (`table=agencies`, the default) or the fields' figures, for a spreadsheet."""
    name = request.query.get("table", "agencies")
    if name not in statistics.TABLES:
        raise web.HTTPBadRequest(text=f"table: one of {', '.join(statistics.TABLES)}")
    data, _choice = await _figures(request)
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 (Vietnamese) only with the mark
    csv.writer(out).writerows(statistics.table(data, name, _names(request, data)))
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="ket-qua-{name}-{data["from"]}-{data["to"]}.csv"'})


def routes() -> list[web.RouteDef]:
    return [web.get("/results", page), web.get("/results.json", as_json), web.get("/results.csv", as_csv)]
