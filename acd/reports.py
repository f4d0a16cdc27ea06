"""Leaders' reports for a date range (site-local days): per queue and per field, the same
figures as the daily statistics, plus emergency transfers, after-hours messages, callback
outcomes and a per-day series for charts."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from acd import stats
from db.queries.stats import extras, ticket_counts
from db.types import Database

MAX_DAYS = 366
COLUMNS = ("offered", "answered", "abandoned", "service_level", "asa_s", "aht_s", "longest_wait_s")


def _extras(db: Database, start: datetime, end: datetime) -> dict[str, Any]:
    e = extras(db, start, end)
    counts = ticket_counts(db, start, end)  # every request, not only calls that reached a queue
    return {"emergency_transfers": e.transfers, "after_hours_calls": e.after_hours_calls,
            "after_hours_messages": e.after_hours_messages, "callback_outcomes": e.callback_outcomes,
            "tickets": {"fields": counts.fields, "kinds": counts.kinds, "statuses": counts.statuses}}


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
            "queues": queues, "fields": fields, "days": days, **_extras(db, start, end)}


# Spreadsheet headers and row names in Vietnamese (the leaders' language); the BOM makes Excel read UTF-8
CSV_COLUMNS = ("Gọi vào", "Trả lời", "Bỏ cuộc", "Mức phục vụ", "Chờ trung bình (s)", "Xử lý trung bình (s)",
               "Chờ lâu nhất (s)")
CSV_SECTIONS = {"queues": "Hàng đợi", "fields": "Lĩnh vực (cuộc gọi vào hàng đợi)"}
CSV_TICKETS = {"fields": "Phiếu theo lĩnh vực", "kinds": "Phiếu theo loại", "statuses": "Phiếu theo trạng thái"}
BOM = "\ufeff"


def to_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    out.write(BOM)
    w = csv.writer(out)
    w.writerow(("Phần", "Tên", *CSV_COLUMNS))
    for section in ("queues", "fields"):
        for name, row in data[section].items():
            w.writerow((CSV_SECTIONS[section], name) + tuple("" if row[c] is None else row[c] for c in COLUMNS))
    w.writerow(())
    w.writerow(("Phần", "Tên", "Số lượng"))
    for name, n in data["emergency_transfers"].items():
        w.writerow(("Chuyển khẩn cấp", name, n))
    w.writerow(("Ngoài giờ", "Cuộc gọi", data["after_hours_calls"]))
    w.writerow(("Ngoài giờ", "Lời nhắn", data["after_hours_messages"]))
    for name, n in data["callback_outcomes"].items():
        w.writerow(("Gọi lại", name, n))
    for section, rows in data["tickets"].items():
        for name, n in rows.items():
            w.writerow((CSV_TICKETS[section], name, n))
    for d in data["days"]:
        w.writerow(("Ngày", date.fromisoformat(d["date"]).strftime("%d/%m/%Y"), d["offered"]))
    return out.getvalue()
