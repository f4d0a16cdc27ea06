"""Leaders' range reports: figures per queue and field, every request per field/area/kind/status/
channel, per agent, emergency transfers, after-hours messages, callback outcomes, the per-day
series, quick ranges, and the spreadsheet files (one CSV per table, a zip of them all)."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from acd import reports
from db import store
from db.models import Agent, AgentState, Callback, Recording, Ticket, TicketEvent
from tests.harness import site as site_harness
from tests.harness.site import make_site
from web.language import catalog, load_reasons

TZ = "Asia/Ho_Chi_Minh"


def _ticket(s, code, at, kind, field=None, events=(), **extra) -> Ticket:
    t = Ticket(code=code, kind=kind, field=field, status=extra.pop("status", "closed"), created_at=at, **extra)
    s.add(t)
    s.flush()
    for kind_, detail in events:
        s.add(TicketEvent(ticket_id=t.id, at=at, kind=kind_, detail=json.dumps(detail)))
    return t


@pytest.fixture
def db(tmp_path, backend):
    new = site_harness.new_database_url  # set while the test runs on PostgreSQL
    engine = store.connect(new() if new else f"sqlite:///{tmp_path / 't.db'}")
    store.migrate(engine)
    day1, day2 = datetime(2026, 11, 23, 3), datetime(2026, 11, 24, 3)  # 10:00 local
    with Session(engine) as s, s.begin():
        _ticket(s, "A", day1, "report", "trees", [("queue", {"queue": "incidents", "step": "join"}),
                                                   ("agent", {"queue": "incidents", "wait": 12}),
                                                   ("agent_complete", {"talk": 90})],
                agent="101", talk_s=90, area="hai_chau")
        _ticket(s, "B", day2, "report", "water", [("queue", {"queue": "incidents", "step": "join"}),
                                                   ("abandon", {"queue": "incidents", "wait": 40})])
        _ticket(s, "C", day2, "emergency", None, [("transfer", {"to": "114", "via": "trunk"}),
                                                  ("transfer", {"to": "114", "result": "ANSWER"})], service="114")
        night = _ticket(s, "D", day2, "after_hours")
        s.add(Recording(ticket_id=night.id, kind="voicemail", path="d.wav", bytes=100, status="ok", created_at=day2))
        s.add(Callback(ticket_id=night.id, number="0905", language="vi", queued_at=day2, due_at=day2, state="done",
                       outcome="reached", updated_at=day2))
        _ticket(s, "OLD", day1 - timedelta(days=30), "report", "trees")  # outside the range
        s.add(Agent(extension="101", name="Lan", pin_hash="x", skills="{}"))
        # lunch 30 min on day 1, and a break that began the day before the range (only its part inside counts)
        s.add(AgentState(agent="101", state="paused", reason="lunch", started_at=day1 + timedelta(hours=2),
                         ended_at=day1 + timedelta(hours=2, minutes=30)))
        s.add(AgentState(agent="101", state="paused", reason="break", started_at=datetime(2026, 11, 22, 16, 50),
                         ended_at=datetime(2026, 11, 22, 17, 10)))  # 23:50-00:10 local: 10 min inside
        s.add(AgentState(agent="101", state="ready", started_at=day1, ended_at=day1 + timedelta(hours=2)))
    return engine


@pytest.fixture
def vi(db, tmp_path):
    """The Vietnamese catalog the console gives the reader: messages, the site's codes, pause reasons."""
    asyncio.run(load_reasons(db))
    return catalog("vi", make_site(tmp_path / "site"))


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel reads UTF-8 (Vietnamese) only with the BOM
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_range_report(db):
    r = reports.report(db, TZ, date(2026, 11, 23), date(2026, 11, 24))
    assert r["queues"]["incidents"]["offered"] == 2
    assert (r["queues"]["incidents"]["answered"], r["queues"]["incidents"]["abandoned"]) == (1, 1)
    assert r["fields"]["trees"]["service_level"] == 1.0 and r["fields"]["trees"]["aht_s"] == 90
    assert r["emergency_transfers"] == {"114": 1}
    assert (r["after_hours_calls"], r["after_hours_messages"]) == (1, 1)
    assert r["callback_outcomes"] == {"reached": 1}
    assert r["days"] == [{"date": "2026-11-23", "offered": 1, "answered": 1, "abandoned": 0},
                         {"date": "2026-11-24", "offered": 1, "answered": 0, "abandoned": 1}]


def test_per_agent_calls_handle_time_pauses_and_no_csat_yet(db):
    r = reports.report(db, TZ, date(2026, 11, 23), date(2026, 11, 24))
    assert r["agents"] == [{"extension": "101", "name": "Lan", "calls": 1, "talk_s": 90, "aht_s": 90.0,
                            "pauses_s": {"break": 600, "lunch": 1800}, "csat": None}]


def test_quick_ranges_in_site_days():
    wed = date(2026, 12, 2)
    assert reports.quick_range("today", wed) == (wed, wed)
    assert reports.quick_range("week", wed) == (date(2026, 11, 30), wed)  # Monday to today
    assert reports.quick_range("month", wed) == (date(2026, 12, 1), wed)
    assert reports.quick_range("last_month", wed) == (date(2026, 11, 1), date(2026, 11, 30))
    assert reports.quick_range("last_month", date(2027, 1, 15)) == (date(2026, 12, 1), date(2026, 12, 31))
    with pytest.raises(ValueError, match="range"):
        reports.quick_range("yesterday", wed)


def test_bad_ranges_are_refused(db):
    with pytest.raises(ValueError, match="before"):
        reports.report(db, TZ, date(2026, 11, 24), date(2026, 11, 23))
    with pytest.raises(ValueError, match="366"):
        reports.report(db, TZ, date(2025, 1, 1), date(2026, 11, 23))


def test_requests_are_counted_per_field_area_kind_status_and_channel(db):
    """An environment report whose caller took a callback never joined a queue: it still counts."""
    with Session(db) as s, s.begin():
        _ticket(s, "E", datetime(2026, 11, 24, 4), "report", "environment", [("callback", {"step": "scheduled"})],
                status="callback_pending")
    r = reports.report(db, TZ, date(2026, 11, 23), date(2026, 11, 24))
    assert "environment" not in r["fields"]  # the queue figures stay what they are
    assert r["tickets"]["fields"] == {"-": 2, "environment": 1, "trees": 1, "water": 1}
    assert r["tickets"]["areas"] == {"-": 4, "hai_chau": 1}
    assert r["tickets"]["kinds"] == {"after_hours": 1, "emergency": 1, "report": 3}
    assert r["tickets"]["statuses"] == {"callback_pending": 1, "closed": 4}
    assert r["tickets"]["channels"] == {"phone": 5}


def test_each_table_is_a_csv_with_a_bom_and_vietnamese_headings(db, vi):
    r = reports.report(db, TZ, date(2026, 11, 23), date(2026, 11, 24))
    r["services"] = {"113": "police", "114": "fire", "115": "ambulance"}
    fields = _csv(reports.to_csv(r, "fields", vi))
    assert fields[0] == ["Lĩnh vực", "Gọi vào", "Trả lời", "Bỏ cuộc", "Mức phục vụ (%)", "Chờ trung bình (giây)",
                         "Xử lý trung bình (giây)", "Chờ lâu nhất (giây)"]
    assert ["Cây xanh", "1", "1", "0", "100", "12", "90", "12"] in fields
    queues = _csv(reports.to_csv(r, "queues", vi))
    assert queues[0][0] == "Hàng đợi" and queues[1][1:] == ["2", "1", "1", "50", "12", "90", "40"]
    tickets = _csv(reports.to_csv(r, "tickets", vi))
    assert tickets[0] == ["Theo", "Tên", "Số lượng"]
    assert ["Địa bàn", "Quận Hải Châu", "1"] in tickets and ["Kênh tiếp nhận", "Điện thoại", "4"] in tickets
    assert ["Lĩnh vực", "Chưa ghi", "2"] in tickets and ["Loại yêu cầu", "Ngoài giờ", "1"] in tickets
    agents = _csv(reports.to_csv(r, "agents", vi))
    assert agents == [["Tổng đài viên", "Cuộc gọi đã trả lời", "Tổng thời gian xử lý (giây)",
                       "Xử lý trung bình (giây)", "Tạm nghỉ: Nghỉ giải lao (giây)", "Tạm nghỉ: Nghỉ trưa (giây)",
                       "CSAT"],
                      ["Lan (101)", "1", "90", "90", "600", "1800", ""]]
    other = _csv(reports.to_csv(r, "other", vi))
    assert ["Chuyển khẩn cấp", "Cứu hỏa (114)", "1"] in other and ["Gọi lại", "Đã liên lạc", "1"] in other
    assert ["Ngoài giờ", "Lời nhắn", "1"] in other
    assert _csv(reports.to_csv(r, "days", vi))[2] == ["24/11/2026", "1", "0", "1"]
    with pytest.raises(ValueError, match="table"):
        reports.to_csv(r, "secrets", vi)


def test_the_zip_holds_one_csv_per_table(db, vi):
    r = reports.report(db, TZ, date(2026, 11, 23), date(2026, 11, 24))
    with zipfile.ZipFile(io.BytesIO(reports.to_zip(r, vi))) as z:
        assert z.namelist() == [f"{name}.csv" for name in reports.TABLES]
        for name in reports.TABLES:
            raw = z.read(f"{name}.csv")
            assert raw.startswith(b"\xef\xbb\xbf"), name
            assert raw.decode("utf-8-sig") == reports.to_csv(r, name, vi).removeprefix("\ufeff")
