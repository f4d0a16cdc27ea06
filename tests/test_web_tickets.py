"""Tickets and callbacks in the console, on the real aiohttp app (no Asterisk needed): structured
entry with the site's required fields, empty saves, the list's paging and area filter, the timeline
told as sentences, callbacks with their history; then the ticket page in Debian's Chromium."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import store
from db.models import Ticket, TicketEvent
from tests.harness.browser import browser, login, page, shot
from tests.harness.console import PASSWORD, ServedConsole, add_ticket, ThreadedConsole
from web import accounts
from web.tickets import decide

CODE = "1022-261126-0001"
AT = datetime(2026, 11, 26, 2, 0, 5)  # 09:00:05 in Vietnam


def seed_events(db, code: str) -> None:
    """A report call: the menus, the queue, an agent; at known times (UTC)."""
    events = [(0, "answer", '{"caller": "0905111222"}'),
              (1, "menu", '{"menu": "report", "digit": "4", "choice": "report"}'),
              (2, "report", '{"field": "trees"}'),
              (3, "queue", '{"queue": "incidents", "step": "join"}'),
              (9, "agent", '{"agent": "101", "queue": "incidents", "wait": 6}')]
    with Session(db) as s, s.begin():
        t = s.scalar(select(Ticket).where(Ticket.code == code))
        t.created_at = AT
        for event in t.events:
            event.at = AT
        for sec, kind, detail in events:
            s.add(TicketEvent(ticket_id=t.id, at=AT.replace(second=5 + sec), kind=kind, detail=detail))


@pytest.fixture
async def served(tmp_path):
    async with ServedConsole(tmp_path) as served:
        add_ticket(served.db, served.site.paths.recordings, CODE, "101")
        add_ticket(served.db, served.site.paths.recordings, "1022-261126-0002", "101", field="lighting")
        add_ticket(served.db, served.site.paths.recordings, "1022-261126-0003", None, with_callback=True)
        seed_events(served.db, CODE)
        yield served


def test_decide_keeps_only_real_changes_and_names_what_is_missing():
    current = {"field": "trees", "summary": "Cây đổ", "area": None, "address": "", "priority": 3, "status": "open"}
    required = ("area", "address", "summary")
    same = {"field": "trees", "priority": 3, "summary": "Cây đổ"}
    assert decide(current, same, required) == ({}, ["area", "address"])
    assert decide(current, {"area": None, "address": None}, required) == ({}, ["area", "address"])
    real, missing = decide(current, {"priority": 2, "area": "hai_chau"}, required)
    assert real == {"priority": 2, "area": "hai_chau"} and missing == ["address"]
    assert decide(current, {"address": "12 Lê Duẩn", "area": "son_tra"}, required)[1] == []
    assert decide(current, {"summary": ""}, required)[1] == ["area", "address", "summary"]
    assert decide(current, {"status": "resolved"}, ())[1] == []


async def test_a_save_missing_required_fields_is_refused_naming_them(served):
    cl = await served.logged_in("lan")
    async with cl.request("PATCH", f"/api/tickets/{CODE}", json={"summary": "Cây đổ chắn đường"}) as r:
        body = await r.json()
        assert r.status == 400 and body["missing"] == ["area", "address"]
        assert body["error"] == "Chưa lưu: cần điền Phường / khu vực, Địa chỉ"
    async with cl.request("POST", "/lang", data={"lang": "en", "next": "/", "csrf": cl.csrf}) as r:
        assert r.status == 303  # the user's own choice: English from now on
    async with cl.request("PATCH", f"/api/tickets/{CODE}", json={"summary": "Cây đổ chắn đường"}) as r:
        assert (await r.json())["error"] == "Not saved: fill in Ward / area, Address"
    assert store.get_ticket(served.db, CODE).summary is None  # nothing written
    for bad, word in (({"area": "mars"}, "area"), ({"outcome": "lost"}, "outcome"),
                      ({"caller_name": "x" * 129}, "caller_name"), ({"address": 5}, "address")):
        async with cl.request("PATCH", f"/api/tickets/{CODE}", json=bad) as r:
            assert r.status == 400 and word in (await r.json())["error"], bad


async def test_structured_entry_is_stored_and_an_empty_save_changes_nothing(served):
    cl = await served.logged_in("lan")
    entry = {"caller_name": "Nguyễn Thị Hoa", "address": "12 Lê Duẩn", "area": "hai_chau",
             "outcome": "report_taken", "summary": "Cây đổ chắn đường", "field": "trees"}
    async with cl.request("PATCH", f"/api/tickets/{CODE}", json=entry) as r:
        body = await r.json()
        assert r.status == 200 and body["unchanged"] is False
        assert {k: body[k] for k in entry} == entry
    events = len(store.get_ticket(served.db, CODE).events)
    async with cl.request("PATCH", f"/api/tickets/{CODE}", json={**entry, "priority": 3}) as r:
        assert r.status == 200 and (await r.json())["unchanged"] is True
    async with cl.request("PATCH", f"/api/tickets/{CODE}", json={}) as r:
        assert r.status == 200 and (await r.json())["unchanged"] is True
    t = store.get_ticket(served.db, CODE)
    assert len(t.events) == events  # no edit event for a save that changed nothing
    assert (t.caller_name, t.address, t.area, t.outcome) == ("Nguyễn Thị Hoa", "12 Lê Duẩn", "hai_chau", "report_taken")
    async with cl.request("PATCH", f"/api/tickets/{CODE}", json={"status": "forwarded"}) as r:
        body = await r.json()
        assert r.status == 200 and body["status"] == "forwarded"
        assert body["events"][-1]["text"] == "lan đã sửa: Trạng thái → Đã chuyển cơ quan"


async def test_the_ticket_reads_as_sentences_in_the_readers_language(served):
    cl = await served.logged_in("lan")
    async with cl.request("GET", f"/api/tickets/{CODE}") as r:
        t = await r.json()
    assert t["ivr_path_text"] == "Menu chính → 2 Phản ánh sự cố → 4 Cây xanh"
    assert [e["text"] for e in t["events"]][:2] == ["Khách bấm 2 (Phản ánh sự cố) ở Menu chính",
                                                    "Tổng đài trả lời cuộc gọi từ số 0905111222"]
    assert "Tổng đài viên 101 nhận cuộc gọi từ hàng đợi Sự cố sau 6 giây chờ" in [e["text"] for e in t["events"]]
    async with cl.request("POST", "/lang", data={"lang": "en", "next": "/", "csrf": cl.csrf}) as r:
        assert r.status == 303  # the user's own choice: English from now on
    async with cl.request("GET", f"/api/tickets/{CODE}") as r:
        assert (await r.json())["ivr_path_text"] == "Main menu → 2 Report an incident → 4 Trees"


async def test_the_list_pages_with_a_total_and_filters_by_area(served):
    with Session(served.db) as s, s.begin():
        s.scalar(select(Ticket).where(Ticket.code == CODE)).area = "son_tra"
    cl = await served.logged_in("hoa")
    async with cl.request("GET", "/api/tickets?limit=2") as r:
        page1 = await r.json()
    assert (len(page1["tickets"]), page1["total"], page1["offset"]) == (2, 3, 0)
    async with cl.request("GET", "/api/tickets?limit=2&offset=2") as r:
        page2 = await r.json()
    assert [t["code"] for t in page2["tickets"]] == [CODE] and page2["total"] == 3
    async with cl.request("GET", "/api/tickets?area=son_tra") as r:
        found = await r.json()
    assert [t["code"] for t in found["tickets"]] == [CODE] and found["total"] == 1
    assert found["tickets"][0]["area"] == "son_tra"
    for bad in ("area=mars", "offset=-1", "offset=x"):
        async with cl.request("GET", f"/api/tickets?{bad}") as r:
            assert r.status == 400, bad


async def test_callbacks_show_the_ticket_and_a_history_and_speak_vietnamese(served):
    worker = await served.logged_in("mai")
    with Session(served.db) as s, s.begin():
        t = s.scalar(select(Ticket).where(Ticket.code == "1022-261126-0003"))
        t.summary = "Đèn đường hỏng"
    async with worker.request("GET", "/api/callbacks") as r:
        [cb] = (await r.json())["callbacks"]
    assert (cb["field"], cb["summary"]) == ("trees", "Đèn đường hỏng")
    async with worker.request("POST", f"/api/callbacks/{cb['id']}/outcome", json={"outcome": "reached"}) as r:
        body = await r.json()
        assert r.status == 409 and body["code"] == "callbacks.err_claim_first"
        assert body["error"] == f"Hãy nhận cuộc gọi lại #{cb['id']} trước (trạng thái hiện tại: Chờ gọi)"
    async with worker.request("POST", f"/api/callbacks/{cb['id']}/claim") as r:
        assert r.status == 200
    accounts.add_user(served.db, "nam", "callback", PASSWORD, "107")
    other = await served.logged_in("nam")
    async with other.request("POST", f"/api/callbacks/{cb['id']}/claim") as r:
        body = await r.json()
        assert r.status == 409 and body["error"] == f"Cuộc gọi lại #{cb['id']} đã được tổng đài viên 106 nhận"
    async with worker.request("POST", f"/api/callbacks/{cb['id']}/outcome", json={"outcome": "reached"}) as r:
        assert r.status == 200 and (await r.json())["state"] == "done"
    async with worker.request("GET", "/api/callbacks") as r:
        assert (await r.json())["callbacks"] == []
    async with worker.request("GET", "/api/callbacks?history=1") as r:
        [done] = (await r.json())["callbacks"]
    assert (done["state"], done["outcome"], done["claimed_by"]) == ("done", "reached", "106")
    assert done["updated_at"].endswith("Z")



def test_the_ticket_page_tells_the_timeline_and_guides_the_save(tmp_path):
    bg = ThreadedConsole(tmp_path)
    served = bg.served
    try:
        add_ticket(served.db, served.site.paths.recordings, CODE, "101")
        seed_events(served.db, CODE)
        add_ticket(served.db, served.site.paths.recordings, "1022-261126-0003", None, with_callback=True)
        with Session(served.db) as s, s.begin():
            s.scalar(select(Ticket).where(Ticket.code == "1022-261126-0003")).summary = "Đèn đường hỏng"
        with browser() as b:
            p = page(b)
            failed = []
            p.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
            login(p, served.base, "lan", PASSWORD)
            p.goto(f"{served.base}/tickets/{CODE}")
            p.wait_for_selector("body[data-loaded]", state="attached")
            p.errors.clear()  # the desk the login lands on is not this test's
            failed.clear()
            assert p.inner_text("#ivr-path") == "Menu chính → 2 Phản ánh sự cố → 4 Cây xanh"
            rows = [[c.strip() for c in r.split("\t")] for r in p.inner_text("#timeline tbody").split("\n")]
            assert ["26/11/2026 09:00:05", "Khách bấm 2 (Phản ánh sự cố) ở Menu chính"] in rows
            assert ["26/11/2026 09:00:14", "Tổng đài viên 101 nhận cuộc gọi từ hàng đợi Sự cố sau 6 giây chờ"] in rows
            assert "Cây xanh" in p.inner_text("#facts") and "trees" not in p.inner_text("#facts")
            assert p.input_value("#t-status") == "closed"  # the call's own status is shown, not sent
            shot(p, "tickets-01-ticket")

            p.fill("#t-summary", "Cây đổ chắn đường Lê Duẩn")
            p.fill("#t-address", "12 Lê Duẩn")
            p.click("#save")
            p.wait_for_selector("#missing:not([hidden])")
            assert p.inner_text("#missing") == "Chưa lưu: cần điền Phường / khu vực"
            assert p.get_attribute('[data-entry="area"]', "class").split().count("missing") == 1
            assert store.get_ticket(served.db, CODE).summary is None
            shot(p, "tickets-02-missing-area")

            p.select_option("#t-area", "hai_chau")
            p.click("#save")
            p.wait_for_selector("#flash.ok >> text=Đã lưu")
            assert p.is_hidden("#missing")
            saved = store.get_ticket(served.db, CODE)
            assert (saved.area, saved.address, saved.status) == ("hai_chau", "12 Lê Duẩn", "closed")
            p.wait_for_selector("#timeline >> text=lan đã sửa")

            p.click("#save")
            p.wait_for_selector("#flash.ok >> text=Không có thay đổi nào để lưu")

            p.set_viewport_size({"width": 390, "height": 844})
            p.goto(f"{served.base}/tickets")
            p.wait_for_selector("body[data-loaded]", state="attached")
            assert p.inner_text("#count") == "Hiển thị 1 / 1"  # an agent sees the tickets of their calls
            assert p.evaluate("document.documentElement.scrollWidth") <= 390
            shot(p, "tickets-03-list-390")
            assert failed == [(400, f"{served.base}/api/tickets/{CODE}")]  # the refused save, nothing else
            assert not [e for e in p.errors if not e.startswith("Failed to load resource")], p.errors

            cb = b.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
            login(cb, served.base, "mai", PASSWORD)
            cb.wait_for_selector("#callbacks tbody tr:not(.empty)")
            row = cb.inner_text("#callbacks tbody tr")
            assert "Cây xanh" in row and "Đèn đường hỏng" in row and "Chờ gọi" in row, row
            cb.click("#claim-1")
            cb.wait_for_selector("#flash.ok >> text=Bạn đã nhận cuộc gọi lại #1")
            cb.select_option("#outcome-1", "reached")
            cb.click("#record-1")
            cb.wait_for_selector("#flash.ok >> text=Đã ghi kết quả cuộc gọi lại #1: Đã liên lạc")
            cb.wait_for_selector("#callbacks >> text=Không có cuộc gọi lại nào đang chờ.")
            cb.click("#tab-history")
            cb.wait_for_selector("#callbacks-done tbody tr:not(.empty)")
            done = cb.inner_text("#callbacks-done tbody tr")
            assert "Xong" in done and "Đã liên lạc" in done and "106" in done, done
            shot(cb, "tickets-04-callbacks-history")
    finally:
        bg.close()
