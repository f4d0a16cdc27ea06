"""Leaders' reports for a date range (site-local days): per queue and per field, the same
figures as the daily statistics, plus emergency transfers, after-hours messages, callback
outcomes and a per-day series for charts."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from acd import stats
from db.models import Callback, Recording, Ticket, TicketEvent

MAX_DAYS = 366
COLUMNS = ("offered", "answered", "abandoned", "service_level", "asa_s", "aht_s", "longest_wait_s")


def _extras(db: Engine, start, end) -> dict:
    in_range = (Ticket.created_at >= start, Ticket.created_at < end)
    with Session(db) as s:
        transfers: Counter = Counter()
        for detail, in s.execute(select(TicketEvent.detail).join(Ticket).where(*in_range, TicketEvent.kind == "transfer")):
            d = json.loads(detail) if detail else {}
            if d.get("to") and "result" not in d:  # the flow logs a transfer's start, then its result
                transfers[d["to"]] += 1
        after_hours = s.scalar(select(func.count()).select_from(Ticket).where(*in_range, Ticket.kind == "after_hours"))
        messages = s.scalar(select(func.count()).select_from(Recording).join(Ticket)
                            .where(*in_range, Recording.kind == "voicemail"))
        outcomes = Counter(o or state for o, state in s.execute(
            select(Callback.outcome, Callback.state).join(Ticket).where(*in_range)))
    return {"emergency_transfers": dict(sorted(transfers.items())), "after_hours_calls": after_hours or 0,
            "after_hours_messages": messages or 0, "callback_outcomes": dict(sorted(outcomes.items()))}


def report(db: Engine, tz: str, first: date, last: date) -> dict:
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
            "queues": queues, "fields": fields, "days": days, **_extras(db, start, end)}


def to_csv(data: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(("section", "name") + COLUMNS)
    for section in ("queues", "fields"):
        for name, row in data[section].items():
            w.writerow((section[:-1], name) + tuple("" if row[c] is None else row[c] for c in COLUMNS))
    w.writerow(())
    w.writerow(("section", "name", "count"))
    for name, n in data["emergency_transfers"].items():
        w.writerow(("emergency_transfer", name, n))
    w.writerow(("after_hours", "calls", data["after_hours_calls"]))
    w.writerow(("after_hours", "messages", data["after_hours_messages"]))
    for name, n in data["callback_outcomes"].items():
        w.writerow(("callback", name, n))
    for d in data["days"]:
        w.writerow(("day", d["date"], d["offered"]))
    return out.getvalue()
