"""Case lookup on the public portal: the ticket code (with or without dashes) and the last 3 digits
of the reporting number show the status, the deadline, the history in public sentences and the
approved answer, with no personal data; a wrong second factor and an unknown code get the very
same answer; wrong guesses are limited per address and per code (429 + Retry-After). On SQLite
and PostgreSQL; the page in Chromium at 390 and 1280 px."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from config.local_time import show
from db.agency_models import Assignment
from db.clock import utcnow
from db.models import Call, Ticket, TicketEvent
from db.queries import agencies as stored_agencies
from db.queries.case_lookup import PublicCase, Step
from portal import case_story
from portal.lookup import PER_ADDRESS, PER_CODE
from tests.harness.browser import browser, page, shot, too_wide
from tests.harness.portal import ServedPortal, ThreadedPortal

DONE, OPEN, UNKNOWN = "1022-261203-4701", "1022-261204-0007", "1022-261203-9999"
WEB, WEB_PHONE, WEB_EMAIL = "1022-261205-0031", "0935111222", "citizen.web@example.vn"  # a web report's contact
DONE_NUMBER, OPEN_NUMBER = "0905123456", "0912345678"  # last digits: 456, 678
NAME = "Nguyễn Văn An"
SUMMARY = f"Đèn đường tắt trước số 20 Trần Phú. Liên hệ {NAME}, 0905 123 456, +84905123456, an.nguyen@example.vn"
ANSWER = "Đã thay bóng đèn ngày 02/12. Anh An có thể gọi 0905.123.456 hoặc viết an.nguyen@example.vn nếu còn hỏng."
PRIVATE = ("0905", "123 456", "123.456", "84905", "an.nguyen", "example.vn", NAME, "Văn An", "Anh An", "Trần Phú",
           "nhờ gọi lại gấp", "duyệt nhanh", "giọng miền Trung", "0935", "111 222", "citizen.web")
LIGHTS, TREES = "so_xay_dung", "cay_xanh"


def iso(at) -> str:
    return at.isoformat() + "Z"


def add_case(db, code: str, number: str | None, status: str, received, assignments: list[dict], events: list[tuple],
             **web: str) -> None:
    """A call's ticket from `number`, or with no number a web report (`web`: its contact columns)."""
    with Session(db) as s, s.begin():
        call = Call(uniqueid=f"u-{code}", caller_number=number, caller_name=NAME, started_at=received)
        if number:
            s.add(call)
            s.flush()
        t = Ticket(code=code, call_id=call.id if number else None, kind="report" if number else "web",
                   field="lighting", area="hai_chau", status=status, summary=SUMMARY, caller_name=NAME,
                   address="20 Trần Phú", created_at=received, agent="101", **web)
        s.add(t)
        s.flush()
        for a in assignments:
            s.add(Assignment(ticket_id=t.id, created_by="lan", note="Anh An nhờ gọi lại gấp 0905123456", **a))
        s.add(TicketEvent(ticket_id=t.id, at=received, kind="menu", detail='{"menu": "main", "digit": "2"}'))
        s.add(TicketEvent(ticket_id=t.id, at=received, kind="note",
                          detail=json.dumps({"by": "lan", "text": "giọng miền Trung, số 0905123456"})))
        for at, kind, detail in events:
            s.add(TicketEvent(ticket_id=t.id, at=at, kind=kind, detail=json.dumps(detail, ensure_ascii=False)))


def seed(db) -> dict:
    """DONE: forwarded to the lighting department, answered, approved, the citizen called back
    (closed). OPEN: with the tree company past its deadline and the lighting department in time."""
    now = utcnow()
    t0 = now - timedelta(days=5)
    due = t0 + timedelta(days=3)
    add_case(db, DONE, DONE_NUMBER, "closed", t0,
             [dict(agency=LIGHTS, created_at=t0 + timedelta(hours=1), deadline_at=due, processing="closed",
                   review="approved", answer=ANSWER, answered_at=t0 + timedelta(days=1),
                   reviewed_at=t0 + timedelta(days=1, hours=1), closed_at=t0 + timedelta(days=1, hours=1))],
             [(t0 + timedelta(hours=1), "forward", {"agency": LIGHTS, "by": "lan", "deadline_at": iso(due),
                                                    "note": "nhờ gọi lại gấp"}),
              (t0 + timedelta(days=1), "agency_answered", {"agency": LIGHTS, "by": "Trần Phú"}),
              (t0 + timedelta(days=1, hours=1), "review", {"agency": LIGHTS, "decision": "approve", "by": "hoa",
                                                           "comment": "duyệt nhanh"}),
              (t0 + timedelta(days=1, hours=1), "reply", {"by": "callback"}),
              (t0 + timedelta(days=2), "callback", {"outcome": "resolved", "by": "mai", "state": "done"})])
    late, later = now - timedelta(days=1), now + timedelta(days=2)
    add_case(db, OPEN, OPEN_NUMBER, "forwarded", now - timedelta(days=4),
             [dict(agency=TREES, created_at=now - timedelta(days=4), deadline_at=late, processing="in_progress"),
              dict(agency=LIGHTS, created_at=now - timedelta(days=4), deadline_at=later, processing="in_progress")],
             [(now - timedelta(days=4), "forward", {"agency": TREES, "deadline_at": iso(late), "by": "lan"}),
              (now - timedelta(days=4), "forward", {"agency": LIGHTS, "deadline_at": iso(now), "by": "lan"}),
              (now - timedelta(days=3), "edit", {"by": "lan", "caller_name": NAME, "summary": SUMMARY}),
              (now - timedelta(days=2), "extension", {"agency": LIGHTS, "decision": "grant", "by": "hoa",
                                                      "deadline_at": iso(later), "comment": "duyệt nhanh"})])
    add_case(db, WEB, None, "new", now - timedelta(hours=2), [], [],
             contact_phone=WEB_PHONE, contact_email=WEB_EMAIL)
    return {"due": due, "late": late, "later": later}


@pytest.fixture
async def served(tmp_path, backend):
    async with ServedPortal(tmp_path, public={"proxy": "127.0.0.1"}) as served:
        stored_agencies.sync(served.db, served.site.agencies)
        served.when = seed(served.db)
        yield served


async def look(http, code: str, proof: str, address: str = "198.51.100.1", lang: str = "") -> tuple[int, str, dict]:
    async with http.post("/lookup" + (f"?lang={lang}" if lang else ""), data={"code": code, "proof": proof},
                         headers={"X-Forwarded-For": address}) as r:
        return r.status, await r.text(), dict(r.headers)


async def test_the_right_digits_show_the_history_the_deadline_and_the_answer(served):
    http, tz = served.client(), served.site.timezone
    status, html, _ = await look(http, "10222612034701", "456")  # the code typed without dashes
    assert status == 200 and 'id="case"' in html
    assert DONE in html and "Chiếu sáng công cộng" in html and "Quận Hải Châu" in html
    assert "Đã kết thúc" in html  # closed, in words
    assert f"Đã chuyển đến Sở Xây dựng thành phố Đà Nẵng, hạn trả lời {show(served.when['due'], tz)}." in html
    for sentence in ("Tổng đài đã tiếp nhận phản ánh qua điện thoại.", "Sở Xây dựng thành phố Đà Nẵng đã gửi kết quả",
                     "Tổng đài 1022 đã duyệt kết quả xử lý", "Phản ánh đã được giải quyết.", "Phản ánh đã kết thúc."):
        assert sentence in html
    assert html.index("đã gửi kết quả") < html.index("đã duyệt") < html.index("đã được giải quyết") \
        < html.index("Phản ánh đã kết thúc.")
    assert "Đã thay bóng đèn ngày 02/12." in html and "[đã ẩn]" in html  # the answer, its contact data hidden
    for private in PRIVATE:
        assert private not in html, private

    status, html, _ = await look(http, f" {OPEN.replace('-', ' ')} ", "678", lang="en")  # spaces, in English
    assert status == 200 and '<html lang="en">' in html and "With the agency in charge" in html
    deadline = f'<dd id="case-deadline">{show(served.when["late"], tz)} <span class="lookup-overdue">overdue'
    assert deadline in html  # the earliest open deadline, past
    assert f"was given more time, until {show(served.when['later'], tz)}." in html
    assert "Forwarded to Công ty TNHH MTV Công viên Cây xanh Đà Nẵng" in html and "id=\"answers\"" not in html
    for private in PRIVATE:
        assert private not in html, private

    async with http.post("/lookup.json?lang=vi", json={"code": DONE, "proof": "456"}) as r:
        assert r.status == 200
        found = await r.json()
    assert found["code"] == DONE and found["status"] == "Đã kết thúc" and len(found["history"]) == 6
    assert not any(p in json.dumps(found, ensure_ascii=False) for p in PRIVATE)


async def test_a_web_report_opens_with_its_contact_email_or_number(served):
    http = served.client()
    for proof in ("Citizen.Web@Example.VN", "222"):  # the email in any case, or the number's last digits
        status, html, _ = await look(http, WEB, proof)
        assert status == 200 and WEB in html, proof
        assert "Tổng đài đã tiếp nhận phản ánh qua trang web." in html and "chờ tổng đài 1022 kiểm tra" in html
        for private in PRIVATE:
            assert private not in html, private
    for code, proof in ((WEB, "other@example.vn"), (WEB, "456"), (DONE, WEB_EMAIL), (UNKNOWN, WEB_EMAIL)):
        assert (await look(http, code, proof))[0] == 404, (code, proof)


async def test_a_wrong_factor_and_an_unknown_code_get_the_same_answer(served):
    http = served.client()
    answers = [await look(http, DONE, "457"), await look(http, UNKNOWN, "456"), await look(http, DONE, "nobody@x.vn"),
               await look(http, OPEN, "456")]  # another case's digits
    assert {a[0] for a in answers} == {404}
    assert len({a[1] for a in answers}) == 1  # byte for byte the same page
    page_text = answers[0][1]
    assert "Không tìm thấy phản ánh" in page_text and DONE not in page_text and "457" not in page_text
    assert "4701" not in page_text and UNKNOWN not in page_text
    bodies = set()
    for code, proof in ((DONE, "457"), (UNKNOWN, "456")):
        async with http.post("/lookup.json", data={"code": code, "proof": proof}) as r:
            assert r.status == 404
            bodies.add(await r.read())
    assert bodies == {b'{"error": "not_found"}'}
    # a malformed code or factor is refused in words, before any lookup (it says nothing about a case)
    status, html, _ = await look(http, "1022-abc", "456")
    assert status == 400 and "Mã phiếu không đúng dạng" in html
    status, html, _ = await look(http, DONE, "45")
    assert status == 400 and "Hãy nhập đúng 3 chữ số" in html


async def test_wrong_guesses_are_limited_per_code_and_per_address(served):
    http = served.client()
    for i in range(PER_CODE - 1):  # a guesser on DONE from several addresses
        assert (await look(http, DONE, f"{100 + i}", address=f"203.0.113.{i}"))[0] == 404
    assert (await look(http, DONE, "456", address="198.51.100.7"))[0] == 200  # the citizen: not counted
    assert (await look(http, DONE, "999", address="203.0.113.50"))[0] == 404  # the 5th wrong one
    status, html, headers = await look(http, DONE, "456", address="198.51.100.7")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 15 * 60
    assert "Bạn đã thử quá nhiều lần" in html and "phút" in html
    async with http.post("/lookup.json", data={"code": DONE, "proof": "456"}) as r:
        assert r.status == 429 and "Retry-After" in r.headers and (await r.json())["error"] == "too_many"
    assert (await look(http, OPEN, "678", address="198.51.100.7"))[0] == 200  # other codes unaffected

    # one address sweeping codes: PER_ADDRESS wrong ones, successes between them not counted
    sweeper = "192.0.2.9"
    for i in range(PER_ADDRESS):
        assert (await look(http, f"1022-261201-{i:04d}", "123", address=sweeper))[0] == 404
        if i == PER_ADDRESS // 2:
            for _ in range(3):
                assert (await look(http, OPEN, "678", address=sweeper))[0] == 200
    status, _, headers = await look(http, "1022-261201-0999", "123", address=sweeper)
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert (await look(http, OPEN, "678", address=sweeper))[0] == 429  # even the right factor, meanwhile
    assert (await look(http, OPEN, "678", address="192.0.2.10"))[0] == 200  # another address is not held
    for _ in range(PER_ADDRESS + 5):  # malformed input is refused before counting: no 429
        assert (await look(http, "x", "1", address="192.0.2.11"))[0] == 400


def test_codes_and_second_factors_as_people_type_them():
    assert case_story.normal_code("1022-261203-4701", "1022") == "1022-261203-4701"
    assert case_story.normal_code(" 1022 261203 4701 ", "1022") == "1022-261203-4701"
    assert case_story.normal_code("10222612034701", "1022") == "1022-261203-4701"
    assert case_story.normal_code("1022-261203-100123456", "1022") == "1022-261203-100123456"  # a clock number
    for bad in ("", "4701", "1022-261203", "1900-261203-4701", "1022-26a203-4701", "1022-261203-" + "9" * 13):
        assert case_story.normal_code(bad, "1022") is None, bad
    assert case_story.proof_of(" 456 ").digits == "456"
    assert case_story.proof_of("An.Nguyen@Example.vn").email == "An.Nguyen@Example.vn"
    for bad in ("45", "4567", "abc", "a@b", ""):
        assert case_story.proof_of(bad) is None, bad


def test_the_history_says_resolved_after_the_last_approval():
    now = utcnow()
    case = PublicCase(DONE, "web", "lighting", None, "resolved", now, None, False,
                      (Step("received", now), Step("forwarded", now, "Sở A", now), Step("answered", now, "Sở A"),
                       Step("approved", now, "Sở A")), (), ())
    lines = [line.text for line in case_story.history(case, lambda m: m, "Asia/Ho_Chi_Minh", "1022")]
    due = show(now, "Asia/Ho_Chi_Minh")
    assert lines == ["Received from the website.", f"Forwarded to Sở A, to be answered by {due}.",
                     "Sở A sent its answer.", "1022 approved the answer of Sở A.", "The case is resolved."]


def test_lookup_in_chromium_on_a_phone_and_a_desktop(tmp_path):
    portal = ThreadedPortal(tmp_path)
    try:
        stored_agencies.sync(portal.served.db, portal.served.site.agencies)
        seed(portal.served.db)
        with browser() as b:
            for width, height in ((390, 844), (1280, 900)):
                p = page(b, width=width, height=height)
                p.goto(portal.served.base + "/")
                p.click("#nav-lookup")
                p.fill("#code", "1022 261203 4701")
                p.fill("#proof", "456")
                p.click("#lookup-go")
                p.wait_for_selector("#case")
                assert "Sở Xây dựng thành phố Đà Nẵng" in p.inner_text("#history")
                assert "Đã thay bóng đèn" in p.inner_text("#answers")
                assert too_wide(p) == []
                shot(p, f"portal-lookup-found-{width}")
                p.click("#again")
                p.fill("#code", DONE)
                p.fill("#proof", "000")
                p.click("#lookup-go")
                p.wait_for_selector("#lookup-error")
                assert "Không tìm thấy" in p.inner_text("#lookup-error")
                assert p.input_value("#code") == ""  # nothing typed is echoed back
                assert too_wide(p) == []
                shot(p, f"portal-lookup-not-found-{width}")
                # the not-found page is answered 404 on purpose (Chromium logs that): nothing else
                assert [e for e in p.errors if "status of 404" not in e] == []
    finally:
        portal.close()
