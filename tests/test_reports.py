"""Leaders' range reports: figures per queue and field, emergency transfers, after-hours
messages, callback outcomes, the per-day series and the CSV."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from acd import reports
from db import store
from db.models import Callback, Recording, Ticket, TicketEvent

TZ = "Asia/Ho_Chi_Minh"


def _ticket(s, code, at, kind, field=None, events=(), **extra) -> Ticket:
    t = Ticket(code=code, kind=kind, field=field, status="closed", created_at=at, **extra)
    s.add(t)
    s.flush()
    for kind_, detail in events:
        s.add(TicketEvent(ticket_id=t.id, at=at, kind=kind_, detail=json.dumps(detail)))
    return t


@pytest.fixture
def db(tmp_path):
    engine = store.connect(f"sqlite:///{tmp_path / 't.db'}")
    store.migrate(engine)
    day1, day2 = datetime(2026, 11, 23, 3), datetime(2026, 11, 24, 3)  # 10:00 local
    with Session(engine) as s, s.begin():
        _ticket(s, "A", day1, "report", "trees", [("queue", {"queue": "incidents", "step": "join"}),
                                                   ("agent", {"queue": "incidents", "wait": 12}),
                                                   ("agent_complete", {"talk": 90})])
        _ticket(s, "B", day2, "report", "water", [("queue", {"queue": "incidents", "step": "join"}),
                                                   ("abandon", {"queue": "incidents", "wait": 40})])
        _ticket(s, "C", day2, "emergency", None, [("transfer", {"to": "114", "via": "trunk"}),
                                                  ("transfer", {"to": "114", "result": "ANSWER"})], service="114")
        night = _ticket(s, "D", day2, "after_hours")
        s.add(Recording(ticket_id=night.id, kind="voicemail", path="d.wav", bytes=100, status="ok", created_at=day2))
        s.add(Callback(ticket_id=night.id, number="0905", language="vi", queued_at=day2, due_at=day2, state="done",
                       outcome="reached", updated_at=day2))
        _ticket(s, "OLD", day1 - timedelta(days=30), "report", "trees")  # outside the range
    return engine


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
    text = reports.to_csv(r)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 (Vietnamese) only with the BOM
    lines = text.removeprefix("\ufeff").splitlines()
    assert lines[0] == ("Phần,Tên,Gọi vào,Trả lời,Bỏ cuộc,Mức phục vụ,Chờ trung bình (s),Xử lý trung bình (s),"
                        "Chờ lâu nhất (s)")
    assert "Hàng đợi,incidents,2,1,1,0.5,12.0,90.0,40" in lines
    assert "Chuyển khẩn cấp,114,1" in lines and "Gọi lại,reached,1" in lines
    assert "Ngày,24/11/2026,1" in lines


def test_bad_ranges_are_refused(db):
    with pytest.raises(ValueError, match="before"):
        reports.report(db, TZ, date(2026, 11, 24), date(2026, 11, 23))
    with pytest.raises(ValueError, match="366"):
        reports.report(db, TZ, date(2025, 1, 1), date(2026, 11, 23))


def test_requests_are_counted_per_field_whatever_became_of_the_call(db):
    """An environment report whose caller took a callback never joined a queue: it still counts."""
    with Session(db) as s, s.begin():
        _ticket(s, "E", datetime(2026, 11, 24, 4), "report", "environment", [("callback", {"step": "scheduled"})])
    r = reports.report(db, TZ, date(2026, 11, 23), date(2026, 11, 24))
    assert "environment" not in r["fields"]  # the queue figures stay what they are
    assert r["tickets"]["fields"] == {"-": 2, "environment": 1, "trees": 1, "water": 1}
    assert r["tickets"]["kinds"] == {"after_hours": 1, "emergency": 1, "report": 3}
    assert "Phiếu theo lĩnh vực,environment,1" in reports.to_csv(r).splitlines()
