"""Leaders' reports for a date range (site-local days): per queue and per field, the same
figures as the daily statistics; every request counted per field, area, kind, status and
channel; per agent calls, handle time and pauses; emergency transfers, after-hours messages,
callback outcomes and a per-day series for charts. The spreadsheet side: one CSV per table
(UTF-8 with a BOM, headings and names in the reader's language), or all of them in one zip."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from acd import stats
from db.queries.stats import NONE, agent_names, extras, ticket_counts
from db.types import Database

MAX_DAYS = 366
COLUMNS = ("offered", "answered", "abandoned", "service_level", "asa_s", "aht_s", "longest_wait_s")
RANGES = ("today", "week", "month", "last_month")
TABLES = ("fields", "queues", "tickets", "agents", "other", "days")
# the report's key and the catalog group of its codes (channel names are the reports page's own)
TICKET_GROUPS = (("fields", "field"), ("areas", "area"), ("kinds", "kind"), ("statuses", "status"),
                 ("channels", "reports.channel"))
BOM = "\ufeff"  # Excel reads UTF-8 (Vietnamese) only with it


def quick_range(name: str, today: date) -> tuple[date, date]:
    """today, this week (Monday to today), this month (1st to today), last month (all of it)."""
    if name == "today":
        return today, today
    if name == "week":
        return today - timedelta(days=today.weekday()), today
    if name == "month":
        return today.replace(day=1), today
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(f"range: one of {', '.join(RANGES)}")


def _agents(db: Database, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per agent: calls answered, total and average handle time (talk), pauses per reason.
    No survey exists yet, so customer satisfaction is None."""
    now = datetime.now(UTC).replace(tzinfo=None)
    names = agent_names(db)
    out = []
    for ext, a in stats.per_agent(db, start, end, now).items():
        calls, talk = a["calls"], a["talk_s"]
        out.append({"extension": ext, "name": names.get(ext, ""), "calls": calls, "talk_s": talk,
                    "aht_s": round(talk / calls, 1) if calls else None,
                    "pauses_s": dict(sorted(a["pauses_s"].items())), "csat": None})
    return out


def _extras(db: Database, start: datetime, end: datetime) -> dict[str, Any]:
    e = extras(db, start, end)
    counts = ticket_counts(db, start, end)  # every request, not only calls that reached a queue
    return {"emergency_transfers": e.transfers, "after_hours_calls": e.after_hours_calls,
            "after_hours_messages": e.after_hours_messages, "callback_outcomes": e.callback_outcomes,
            "tickets": {key: getattr(counts, key) for key, _ in TICKET_GROUPS}}


def report(db: Database, tz: str, first: date, last: date) -> dict[str, Any]:
    if last < first:
        raise ValueError("to: must not be before from")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days")
    start, end = stats.day_bounds(first, tz)[0], stats.day_bounds(last, tz)[1]
    queues, fields, per_day = stats.from_tickets(db, start, end, tz)
    days = []
    for i in range((last - first).days + 1):
        day = (first + timedelta(days=i)).isoformat()
        f = per_day.get(day, {})
        days.append({"date": day, **{k: f.get(k, 0) for k in ("offered", "answered", "abandoned")}})
    return {"from": first.isoformat(), "to": last.isoformat(), "service_level_s": stats.SERVICE_LEVEL_S,
            "queues": queues, "fields": fields, "days": days, "agents": _agents(db, start, end),
            **_extras(db, start, end)}


# The spreadsheet. `names` is the reader's message catalog (web/catalogs/<lang>/*.json plus the
# site's codes): headings and the display names of codes come from it, as on the page.

def _label(names: Mapping[str, str], group: str, code: str | None) -> str:
    if code is None or code == NONE:
        return names.get("reports.none", "-")
    return names.get(f"{group}.{code}", code)


def _service(names: Mapping[str, str], data: dict[str, Any], number: str) -> str:
    service = data.get("services", {}).get(number)
    return f"{_label(names, 'service', service)} ({number})" if service else number


def _callback(names: Mapping[str, str], code: str) -> str:
    return names.get(f"cb_outcome.{code}") or names.get(f"cb_state.{code}") or code


def _whole(x: float | None) -> int | str:
    return "" if x is None else round(x)


def _figures(names: Mapping[str, str], data: dict[str, Any], section: str, group: str) -> list[list[Any]]:
    n = names.get
    head: list[Any] = [n(f"reports.{group}_name", group), n("reports.offered", "offered"),
                       n("reports.answered", "answered"), n("reports.abandoned", "abandoned"),
                       f"{n('reports.sl_name', 'SL')} (%)", f"{n('reports.asa_name', 'ASA')} ({n('reports.s', 's')})",
                       f"{n('reports.aht_name', 'AHT')} ({n('reports.s', 's')})",
                       f"{n('reports.longest', 'longest')} ({n('reports.s', 's')})"]
    rows = [head]
    for code, r in data[section].items():
        sl = "" if r["service_level"] is None else round(r["service_level"] * 100)
        rows.append([_label(names, group, code), r["offered"], r["answered"], r["abandoned"], sl,
                     _whole(r["asa_s"]), _whole(r["aht_s"]), r["longest_wait_s"]])
    return rows


def table(data: dict[str, Any], name: str, names: Mapping[str, str]) -> list[list[Any]]:
    """One table of the report as rows (the first row is the headings)."""
    n = names.get
    if name == "fields":
        return _figures(names, data, "fields", "field")
    if name == "queues":
        return _figures(names, data, "queues", "queue")
    if name == "tickets":
        rows: list[list[Any]] = [[n("reports.by", "by"), n("reports.name", "name"), n("reports.count", "count")]]
        for key, group in TICKET_GROUPS:
            rows += [[n(f"reports.by_{key}", key), _label(names, group, code), count]
                     for code, count in data["tickets"][key].items()]
        return rows
    if name == "agents":
        reasons = sorted({r for a in data["agents"] for r in a["pauses_s"]})
        s = n("reports.s", "s")
        rows = [[n("reports.agent", "agent"), n("reports.calls_answered", "calls"),
                 f"{n('reports.handle_total', 'handle')} ({s})", f"{n('reports.aht_name', 'AHT')} ({s})",
                 *[f"{n('reports.paused', 'paused')}: {_label(names, 'reason', r)} ({s})" for r in reasons], "CSAT"]]
        for a in data["agents"]:
            who = f"{a['name']} ({a['extension']})" if a["name"] else a["extension"]
            rows.append([who, a["calls"], a["talk_s"], _whole(a["aht_s"]),
                         *[a["pauses_s"].get(r, 0) for r in reasons], "" if a["csat"] is None else a["csat"]])
        return rows
    if name == "other":
        rows = [[n("reports.section", "section"), n("reports.name", "name"), n("reports.count", "count")]]
        rows += [[n("reports.emergency_transfers", "emergency"), _service(names, data, number), count]
                 for number, count in data["emergency_transfers"].items()]
        rows.append([n("reports.after_hours", "after hours"), n("reports.after_hours_calls", "calls"),
                     data["after_hours_calls"]])
        rows.append([n("reports.after_hours", "after hours"), n("reports.after_hours_messages", "messages"),
                     data["after_hours_messages"]])
        rows += [[n("reports.callbacks", "callbacks"), _callback(names, code), count]
                 for code, count in data["callback_outcomes"].items()]
        return rows
    if name == "days":
        rows = [[n("reports.day", "day"), n("reports.offered", "offered"), n("reports.answered", "answered"),
                 n("reports.abandoned", "abandoned")]]
        rows += [[date.fromisoformat(d["date"]).strftime("%d/%m/%Y"), d["offered"], d["answered"], d["abandoned"]]
                 for d in data["days"]]
        return rows
    raise ValueError(f"table: one of {', '.join(TABLES)}")


def to_csv(data: dict[str, Any], name: str, names: Mapping[str, str]) -> str:
    out = io.StringIO()
    out.write(BOM)
    csv.writer(out).writerows(table(data, name, names))
    return out.getvalue()


def to_zip(data: dict[str, Any], names: Mapping[str, str],
           more: Mapping[str, list[list[Any]]] | None = None) -> bytes:
    """Every table, one CSV file each (each with its BOM); `more`: other tables by file name
    (the agencies' figures, computed elsewhere)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name in TABLES:
            z.writestr(f"{name}.csv", to_csv(data, name, names).encode("utf-8"))
        for name, rows in (more or {}).items():
            out = io.StringIO()
            out.write(BOM)
            csv.writer(out).writerows(rows)
            z.writestr(f"{name}.csv", out.getvalue().encode("utf-8"))
    return buffer.getvalue()
