"""The answer back to the citizen, on the 1022 side (no Asterisk): the way the citizen chose to hear
back (callback or SMS) set from the desk's and the ticket page's save and honoured by the review;
a citizen who calls again sees their open cases on the agent's screen-pop; the callback task shows
the approved answer for the worker to read out. API on SQLite and PostgreSQL, pages in Chromium."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.agency_models import Assignment, Notification
from db.clock import utcnow
from db.models import Callback, Ticket
from db.queries import agencies as stored_agencies
from db.queries import caller_cases, web_reports
from tests.harness.browser import browser, login, page, shot, too_wide
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole, add_ticket

NUMBER = "0905777888"  # the repeat caller
OTHER = "0905111222"
OLDEST, ANSWERED, RESOLVED, CLOSED, NEWEST = (f"1022-261120-000{i}" for i in range(1, 6))
ELSEWHERE = "1022-261120-0009"  # another caller's open case
WARD, LIGHTS, TREES = "Ủy ban nhân dân quận Hải Châu", "so_xay_dung", "cay_xanh"
ANSWER = "Đã thay bóng đèn trước số 20 Trần Phú ngày 02/12."


def ticket(db, code: str) -> Ticket:
    with Session(db) as s:
        return s.scalar(select(Ticket).where(Ticket.code == code))


def assign(db, code: str, agency: str, processing: str, deadline, review=None, answer=None) -> None:
    with Session(db) as s, s.begin():
        tid = s.scalar(select(Ticket.id).where(Ticket.code == code))
        s.add(Assignment(ticket_id=tid, agency=agency, created_at=utcnow() - timedelta(days=3), created_by="lan",
                         processing=processing, deadline_at=deadline, review=review, answer=answer,
                         reviewed_at=utcnow() if review == "approved" else None))


def seed_repeat_caller(db, recordings) -> None:
    """Five earlier tickets of NUMBER a day apart (two done) and another caller's open one."""
    now = utcnow()
    for day, (code, status) in enumerate(((OLDEST, "forwarded"), (ANSWERED, "answered"), (RESOLVED, "resolved"),
                                          (CLOSED, "closed"), (NEWEST, "open"))):
        add_ticket(db, recordings, code, "101", number=NUMBER, field="lighting")
        with Session(db) as s, s.begin():
            s.execute(update(Ticket).where(Ticket.code == code).values(
                status=status, created_at=now - timedelta(days=10 - day)))
    add_ticket(db, recordings, ELSEWHERE, "101", number=OTHER)
    with Session(db) as s, s.begin():
        s.execute(update(Ticket).where(Ticket.code == ELSEWHERE).values(status="open"))
    # the oldest: the ward is late (overdue), the lighting department has two more days
    assign(db, OLDEST, "ubnd_hai_chau", "in_progress", now - timedelta(hours=1))
    assign(db, OLDEST, LIGHTS, "in_progress", now + timedelta(days=2))
    # answered, awaiting review: its open assignment's deadline counts, a closed earlier one does not
    assign(db, ANSWERED, TREES, "closed", now - timedelta(days=5))
    assign(db, ANSWERED, TREES, "answered", now + timedelta(days=1), review="pending", answer="Đã cắt cành")


@pytest.fixture
async def served(tmp_path, backend):
    async with ServedConsole(tmp_path) as served:
        stored_agencies.sync(served.db, served.site.agencies)
        yield served


async def patch(cl, code: str, data: dict) -> tuple[int, dict]:
    async with cl.request("PATCH", f"/api/tickets/{code}", json=data) as r:
        return r.status, await r.json()


async def post(cl, path: str, data: dict) -> tuple[int, dict]:
    async with cl.request("POST", path, json=data) as r:
        return r.status, await r.json()


async def answered_and_approved(served, code: str, forwarder, reviewer) -> None:
    """The ticket forwarded to the lights agency, which answers; the supervisor approves the answer."""
    got, body = await post(forwarder, f"/api/tickets/{code}/forward", {"agencies": [LIGHTS]})
    assert got == 201, body
    aid = body["assignments"][0]["id"]
    with Session(served.db) as s, s.begin():
        s.execute(update(Assignment).where(Assignment.id == aid).values(
            processing="answered", review="pending", answer=ANSWER, answered_at=utcnow()))
    got, body = await post(reviewer, f"/api/assignments/{aid}/review", {"decision": "approve"})
    assert (got, body["status"]) == (200, "resolved"), body


async def test_the_reply_way_is_saved_from_the_desk_and_the_ticket_page_and_honoured(served):
    add_ticket(served.db, served.site.paths.recordings, NEWEST, "101", number=NUMBER, field="lighting")
    with Session(served.db) as s, s.begin():
        s.execute(update(Ticket).where(Ticket.code == NEWEST).values(area="hai_chau", address="20 Trần Phú",
                                                                      summary="Đèn đường tắt"))
    lan, hoa = await served.logged_in("lan"), await served.logged_in("hoa")
    assert ticket(served.db, NEWEST).reply_by is None  # not chosen: a callback, as the review does by default

    got, body = await patch(lan, NEWEST, {"reply_by": "sms"})  # the desk's save (the agent who answered)
    assert (got, body["reply_by"], body["unchanged"]) == (200, "sms", False), body
    assert ticket(served.db, NEWEST).reply_by == "sms"
    got, body = await patch(hoa, NEWEST, {"reply_by": "callback"})  # the ticket page's save (a supervisor)
    assert (got, body["reply_by"]) == (200, "callback")
    assert any("lan đã sửa" in e["text"] for e in body["events"])
    for bad in ("email", "", None, 1, ["sms"]):
        got, body = await patch(hoa, NEWEST, {"reply_by": bad})
        assert (got, body["code"]) == (400, "bad_reply_by"), (bad, body)
    assert ticket(served.db, NEWEST).reply_by == "callback"  # nothing written by a refusal
    async with hoa.request("GET", "/i18n/vi") as r:  # the page says the refusal in the reader's words
        assert (await r.json())["err.bad_reply_by"].startswith("Cách trả lời công dân không hợp lệ")

    # the citizen asked for an SMS: the approval sends one with the answer, and no callback task
    assert (await patch(lan, NEWEST, {"reply_by": "sms"}))[0] == 200
    await answered_and_approved(served, NEWEST, forwarder=lan, reviewer=hoa)
    with Session(served.db) as s:
        [sms] = s.scalars(select(Notification).where(Notification.purpose == "reply"))
        assert (sms.channel, sms.recipient) == ("sms", NUMBER) and ANSWER in sms.body
        assert s.scalar(select(Callback.id)) is None


async def test_a_citizen_who_reported_on_the_web_is_told_at_the_contact_they_gave(served):
    """No call, so no caller number: the approved answer goes to the email the citizen gave (and
    agreed to be contacted at); with a phone, a callback to it (tests/test_portal_journey.py)."""
    code = web_reports.submit(served.db, web_reports.NewReport(
        "lighting", "hai_chau", "20 Trần Phú", "Đèn đường tắt", None, "dan@example.vn", True), "1022-WEB-", utcnow())
    hoa = await served.logged_in("hoa")
    await answered_and_approved(served, code, forwarder=hoa, reviewer=hoa)
    with Session(served.db) as s:
        [mail] = s.scalars(select(Notification).where(Notification.purpose == "reply"))
        assert (mail.channel, mail.recipient) == ("email", "dan@example.vn") and ANSWER in mail.body
        assert code in mail.subject
    async with hoa.request("GET", f"/api/tickets/{code}") as r:
        texts = [e["text"] for e in (await r.json())["events"]]
    assert "Câu trả lời được gửi cho người dân qua thư điện tử" in texts


async def _next(ws, kind: str, timeout: float = 5) -> dict:
    while True:
        message = json.loads((await asyncio.wait_for(ws.receive(), timeout)).data)
        if message["type"] == kind:
            return message


async def test_the_pop_of_a_repeat_caller_lists_their_open_cases(served):
    seed_repeat_caller(served.db, served.site.paths.recordings)
    c = served.console
    await c.book.start()
    c.hub.start()
    try:
        call = c.book.open("u-again-1", NUMBER, "Nguyễn Văn C")
        lan = await served.logged_in("lan")
        ws = await lan.http.ws_connect(f"{served.base}/ws")
        await _next(ws, "state")
        c.hub.on_ami("AgentConnect", {"Event": "AgentConnect", "MemberName": "101", "Uniqueid": "u-again-1",
                                      "Queue": "incidents", "HoldTime": "3"})
        pop = (await _next(ws, "pop"))["ticket"]
        await ws.close()
    finally:
        await c.book.close()
    assert pop["code"] == call.code
    cases = pop["open_cases"]
    assert [x["code"] for x in cases] == [NEWEST, ANSWERED, OLDEST]  # newest first; done ones and others' left out
    newest, answered, oldest = cases
    assert (newest["status"], newest["deadline_at"], newest["agency"], newest["overdue"]) == ("open", None, None, False)
    assert (answered["status"], answered["agency"], answered["overdue"]) == ("answered", TREES, False)
    assert (oldest["status"], oldest["agency"], oldest["agency_name"], oldest["overdue"]) == (
        "forwarded", "ubnd_hai_chau", WARD, True)
    assert oldest["deadline_at"].endswith("Z") and oldest["deadline_at"] < answered["deadline_at"]
    assert oldest["field"] == "lighting" and "summary" not in oldest


async def test_at_most_five_open_cases_newest_first(served):
    now = utcnow()
    codes = [f"1022-261121-00{i:02d}" for i in range(1, 9)]
    for i, code in enumerate(codes):
        add_ticket(served.db, served.site.paths.recordings, code, None, number=NUMBER)
        with Session(served.db) as s, s.begin():
            s.execute(update(Ticket).where(Ticket.code == code).values(status="open",
                                                                        created_at=now - timedelta(hours=20 - i)))
    shown = caller_cases.open_cases(served.db, NUMBER, codes[-1], now)
    assert [x.code for x in shown] == codes[-2:-7:-1]  # the current call's own ticket left out
    assert caller_cases.open_cases(served.db, None, None, now) == []


def add_callback(db, code: str) -> None:
    with Session(db) as s, s.begin():
        now = utcnow()
        s.add(Callback(ticket_id=s.scalar(select(Ticket.id).where(Ticket.code == code)), number=NUMBER, language="vi",
                       queued_at=now, due_at=now, updated_at=now))


def seed_callback_with_answer(db, recordings) -> None:
    """OLDEST resolved: the lighting department's answer approved, a callback task waiting."""
    add_ticket(db, recordings, OLDEST, "101", number=NUMBER, field="lighting", with_callback=True)
    with Session(db) as s, s.begin():
        s.execute(update(Ticket).where(Ticket.code == OLDEST).values(status="resolved", summary="Đèn đường tắt"))
    assign(db, OLDEST, LIGHTS, "closed", utcnow() + timedelta(days=1), review="approved", answer=ANSWER)
    assign(db, OLDEST, TREES, "closed", utcnow(), review="returned", answer="Chưa xử lý")  # never approved


async def test_the_callback_task_carries_the_approved_answer(served):
    seed_callback_with_answer(served.db, served.site.paths.recordings)
    mai = await served.logged_in("mai")
    async with mai.request("GET", "/api/callbacks") as r:
        [cb] = (await r.json())["callbacks"]
    assert cb["ticket"] == OLDEST
    lights = stored_agencies.get(served.db, LIGHTS).name
    assert cb["answers"] == [{"agency": LIGHTS, "agency_name": lights, "text": ANSWER}]


def test_the_pages_show_the_answer_the_open_cases_and_the_reply_way(tmp_path):
    bg = ThreadedConsole(tmp_path)
    served = bg.served
    rang = False
    try:
        stored_agencies.sync(served.db, served.site.agencies)
        seed_repeat_caller(served.db, served.site.paths.recordings)
        assign(served.db, OLDEST, LIGHTS, "closed", utcnow(), review="approved", answer=ANSWER)
        add_callback(served.db, OLDEST)
        lights = stored_agencies.get(served.db, LIGHTS).name
        with browser() as b:
            for width in (1280, 390):
                cb = page(b, width=width)
                login(cb, served.base, "mai", PASSWORD)
                cb.wait_for_selector(f"#callbacks >> text={ANSWER}")
                row = cb.inner_text("#callbacks tbody tr")
                assert f"Câu trả lời đã duyệt của {lights}:" in row and ANSWER in row, row
                assert not too_wide(cb), too_wide(cb)
                shot(cb, f"citizen-reply-01-callback-answer-{width}")
                assert not cb.errors, cb.errors

            async def ring():  # a repeat call from NUMBER reaches agent 101's desk
                nonlocal rang
                rang = True
                await served.console.book.start()
                served.console.hub.start()
                call = served.console.book.open("u-again-2", NUMBER, "Nguyễn Văn C")
                call.update(agent="101")
                served.console.hub.on_ami("AgentConnect", {"Event": "AgentConnect", "MemberName": "101",
                                                           "Uniqueid": "u-again-2", "Queue": "incidents"})
                return call.code
            desk = page(b)
            login(desk, served.base, "lan", PASSWORD)
            desk.goto(f"{served.base}/agent")
            desk.wait_for_selector(".live-dot.ok")
            code = bg.run(ring())
            desk.wait_for_selector("#pop-open:not([hidden])")
            assert desk.inner_text("#pop-code") == code
            items = desk.inner_text("#pop-open-list").split("\n")
            assert [i.split(" · ")[0] for i in items] == [NEWEST, ANSWERED, OLDEST], items
            assert items[2].endswith("· Quá hạn") and WARD in items[2] and "Đã chuyển cơ quan" in items[2], items
            assert "chưa chuyển cơ quan" in items[0], items
            shot(desk, "citizen-reply-02-desk-open-cases")
            desk.set_viewport_size({"width": 390, "height": 844})
            assert not too_wide(desk), too_wide(desk)
            shot(desk, "citizen-reply-03-desk-open-cases-390")
            assert desk.input_value("#t-reply-by") == "callback"
            desk.select_option("#t-reply-by", "sms")
            desk.select_option("#t-outcome", "report_taken")  # the site asks for the outcome of an answered call
            desk.click("#save")
            desk.wait_for_selector(f"#flash.ok >> text={code}")
            assert ticket(served.db, code).reply_by == "sms"
            desk.wait_for_selector("#pop-open-list >> text=" + NEWEST)  # reloaded after the save, still there

            with Session(served.db) as s, s.begin():  # the report's required entry, filled on the call
                s.execute(update(Ticket).where(Ticket.code == NEWEST).values(area="hai_chau", address="20 Trần Phú",
                                                                              summary="Đèn đường tắt"))
            sup = page(b)
            login(sup, served.base, "hoa", PASSWORD)
            sup.goto(f"{served.base}/tickets/{NEWEST}")
            sup.wait_for_selector("#ticket-form:not([hidden])")
            assert sup.input_value("#t-reply-by") == "callback"
            sup.select_option("#t-reply-by", "sms")
            sup.click("#save")
            sup.wait_for_selector("#flash.ok >> text=Đã lưu")
            assert ticket(served.db, NEWEST).reply_by == "sms"
            assert not sup.errors, sup.errors
            shot(sup, "citizen-reply-04-ticket-reply-way")
    finally:
        if rang:
            bg.run(served.console.book.close())
        bg.close()
