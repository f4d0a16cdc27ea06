"""What 1022 grants an agency (issue 16, parts 5 and 7), on the served console (no Asterisk): the
call's recording and the caller's number reach an agency only once a supervisor shares them (403
before, 200 after, 403 again once unshared; never another agency's); a request for more time
granted (the deadline moves, the reminders start over, the agency is emailed) or refused (the
deadline stays); the notifications' fate (sent after a retry, refused for good) told on the
ticket's timeline by a real outbox pass against a real SMTP server; and, in Chromium, the
supervisor's share and grant buttons on the ticket page and the agency's case with the player
and the number, with screenshots at desktop and phone width."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.agency_models import Assignment, Notification
from db.clock import utcnow
from db.models import Audit, Ticket, TicketEvent
from db.queries import agencies as stored_agencies
from db.queries import agency_work
from db.queries import reminders as reminder_books
from notify.outbox import Outbox
from tests.harness.browser import browser, login, page, shot, too_wide
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole, add_ticket
from tests.harness.smtp_sink import SmtpSink
from web import accounts
from web.story import describe

LIGHT = "1022-261127-0201"  # a street light out in Hải Châu, for the lighting department
WARD_CASE = "1022-261127-0202"  # a pavement taken over, for the ward
NUMBER = "0905333444"
LIGHTS, WARD = "so_xay_dung", "ubnd_hai_chau"
LIGHTS_NAME = "Sở Xây dựng thành phố Đà Nẵng"


def seed(served: ServedConsole, forwarded: bool = True) -> dict[str, int]:
    """The demo agencies with two agency accounts, two tickets, and (`forwarded`) one assignment
    each, written directly (no notification)."""
    db, site = served.db, served.site
    stored_agencies.sync(db, site.agencies)
    accounts.add_user(db, "soxd_hung", "agency", PASSWORD, name="Trần Văn Hùng", agency=LIGHTS)
    accounts.add_user(db, "haichau", "agency", PASSWORD, name="Huỳnh Văn Lợi", agency=WARD)
    add_ticket(db, site.paths.recordings, LIGHT, "101", number=NUMBER, field="lighting")
    add_ticket(db, site.paths.recordings, WARD_CASE, "101", field="urban_order")
    now, ids = utcnow(), {}
    with Session(db) as s, s.begin():
        for name, code, agency in (("light", LIGHT, LIGHTS), ("ward", WARD_CASE, WARD)):
            tid = s.scalar(select(Ticket.id).where(Ticket.code == code))
            s.execute(update(Ticket).where(Ticket.id == tid).values(area="hai_chau", status="forwarded",
                                                                   summary="Đèn đường tắt cả dãy"))
            if not forwarded:
                continue
            a = Assignment(ticket_id=tid, agency=agency, created_at=now - timedelta(days=1), created_by="hoa",
                           delivery="sent", deadline_at=now + timedelta(days=2))
            s.add(a)
            s.flush()
            ids[name] = a.id
    return ids


@pytest.fixture
async def served(tmp_path, backend):
    async with ServedConsole(tmp_path) as served:
        served.ids = seed(served)
        yield served


def row(db, aid: int) -> Assignment:
    with Session(db) as s:
        return s.get(Assignment, aid)


def details(db, code: str, kind: str) -> list[dict]:
    with Session(db) as s:
        return [json.loads(d) for d in s.scalars(select(TicketEvent.detail).join(Ticket)
                                                 .where(Ticket.code == code, TicketEvent.kind == kind)
                                                 .order_by(TicketEvent.id))]


def audits(db, action: str) -> list[Audit]:
    with Session(db) as s:
        return list(s.scalars(select(Audit).where(Audit.action == action).order_by(Audit.id)))


async def status_of(cl, path: str) -> tuple[int, dict | bytes]:
    async with cl.request("GET", path) as r:
        return r.status, (await r.json() if r.content_type == "application/json" else await r.read())


async def share(cl, aid: int, what: str, shared: bool) -> tuple[int, dict]:
    async with cl.request("POST", f"/api/assignments/{aid}/share", json={"what": what, "shared": shared}) as r:
        return r.status, await r.json()


async def test_the_call_reaches_an_agency_only_while_it_is_shared(served):
    db, light, ward = served.db, served.ids["light"], served.ids["ward"]
    hung, loi = await served.logged_in("soxd_hung"), await served.logged_in("haichau")
    hoa, lan = await served.logged_in("hoa"), await served.logged_in("lan")
    base = f"/api/agency/assignments/{light}"
    wav = (served.site.paths.recordings / "2026" / f"{LIGHT}.wav").read_bytes()

    # not shared: 403 for the recording and the number, and the case names neither
    for tail in ("/recording", "/caller"):
        got, body = await status_of(hung, base + tail)
        assert (got, body["code"]) == (403, "agency.err_not_shared"), tail
        assert body["error"] == "Tổng đài 1022 chưa chia sẻ nội dung này với cơ quan của bạn."
    got, case = await status_of(hung, base)
    assert got == 200 and "caller_number" not in case and "recording_shared" not in case
    assert NUMBER not in json.dumps(case)

    # only a supervisor shares; an agent is refused and nothing changes
    assert (await share(lan, light, "recording", True))[0] == 403
    assert (await share(hoa, light, "everything", True))[0] == 400
    got, listing = await share(hoa, light, "recording", True)
    assert got == 200 and [a["shared_recording"] for a in listing["assignments"]] == [True]
    got, audio = await status_of(hung, base + "/recording")
    assert (got, audio) == (200, wav)
    assert (await status_of(hung, base + "/caller"))[0] == 403  # the number is a share of its own
    got, listing = await share(hoa, light, "caller", True)
    assert listing["assignments"][0]["shared_caller"] is True
    assert await status_of(hung, base + "/caller") == (200, {"number": NUMBER})
    got, case = await status_of(hung, base)
    assert case["caller_number"] == NUMBER and case["recording_shared"] is True

    # another agency: never, shared or not; nor its own unshared case's recording
    for tail in ("", "/recording", "/caller"):
        got, body = await status_of(loi, base + tail)
        assert (got, body["code"]) == (403, "agency.err_other_agency"), tail
    assert (await status_of(loi, f"/api/agency/assignments/{ward}/recording"))[0] == 403
    assert (await status_of(hung, f"/api/agency/assignments/{ward}/recording"))[0] == 403
    assert (await status_of(hung, "/api/recordings/1/audio"))[0] == 403  # the 1022 route stays closed

    # unshared: 403 again
    assert (await share(hoa, light, "recording", False))[0] == 200
    assert (await share(hoa, light, "caller", False))[0] == 200
    assert (await share(hoa, light, "caller", False))[0] == 200  # the same twice writes nothing
    for tail in ("/recording", "/caller"):
        assert (await status_of(hung, base + tail))[0] == 403, tail
    a = row(db, light)
    assert (a.shared_recording, a.shared_caller) == (False, False)

    steps = [(d["what"], d["shared"], d["by"]) for d in details(db, LIGHT, "share")]
    assert steps == [("recording", True, "hoa"), ("caller", True, "hoa"), ("recording", False, "hoa"),
                     ("caller", False, "hoa")]
    assert [a.target for a in audits(db, "agency_share")] == [f"assignment:{light}"] * 2
    assert len(audits(db, "agency_unshare")) == 2
    assert [json.loads(a.detail)["recording"] for a in audits(db, "agency_playback")] == [1]
    got, ticket = await status_of(hoa, f"/api/tickets/{LIGHT}")
    texts = [e["text"] for e in ticket["events"] if e["kind"] == "share"]
    assert texts[0] == f"hoa chia sẻ ghi âm cuộc gọi với {LIGHTS_NAME}"
    assert texts[3] == f"hoa thôi chia sẻ số điện thoại người gọi với {LIGHTS_NAME}"


async def ask(served, aid: int, until: str | None) -> None:
    cl = await served.logged_in("soxd_hung")
    async with cl.request("POST", f"/api/agency/assignments/{aid}/extension",
                          json={"reason": "Chờ thay cáp ngầm", "until": until or ""}) as r:
        assert r.status == 200, await r.text()


async def decide(cl, aid: int, **data) -> tuple[int, dict]:
    async with cl.request("POST", f"/api/assignments/{aid}/extension", json=data) as r:
        return r.status, await r.json()


def site_time(served, text: str) -> datetime:
    """A dd/mm/yyyy HH:mm in the site's zone, as the database keeps it (naive UTC)."""
    local = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=ZoneInfo(served.site.timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


async def test_more_time_granted_moves_the_deadline_and_restarts_reminders_refused_keeps_it(served):
    db, light = served.db, served.ids["light"]
    hoa, lan = await served.logged_in("hoa"), await served.logged_in("lan")
    assert (await decide(hoa, light, decision="grant"))[1]["code"] == "no_request"  # nothing asked yet
    with Session(db) as s, s.begin():  # the 50 % and 80 % reminders went out already
        s.execute(update(Assignment).where(Assignment.id == light).values(reminded=80))
    before = row(db, light).deadline_at
    await ask(served, light, "2099-01-02T08:00")
    assert row(db, light).extension_until == site_time(served, "02/01/2099 08:00")

    assert (await decide(lan, light, decision="grant"))[0] == 403  # a supervisor decides
    got, body = await decide(hoa, light, decision="grant", until="31/02/2099 08:00")
    assert (got, body["code"]) == (400, "bad_until")
    got, body = await decide(hoa, light, decision="refuse", comment="")
    assert (got, body["code"]) == (400, "reason_required")
    assert row(db, light).processing == "extension_requested"  # refusals write nothing

    got, body = await decide(hoa, light, decision="grant", comment="Đồng ý, báo lại khi xong")
    assert got == 200, body
    a = row(db, light)
    assert (a.processing, a.reminded, a.extension_until) == ("in_progress", 0, None)
    assert a.deadline_at == site_time(served, "02/01/2099 08:00")  # the date the agency proposed
    assert light in [p.id for p in reminder_books.pending(db)]  # 50 / 80 / 100 % count again
    [granted] = details(db, LIGHT, "extension")
    assert (granted["decision"], granted["by"], granted["notified"]) == ("grant", "hoa", 2)
    with Session(db) as s:
        mails = list(s.scalars(select(Notification).where(Notification.assignment_id == light,
                                                          Notification.purpose == "extension")))
    assert sorted(m.recipient for m in mails) == ["hung.tv@soxaydung.example.vn", "mai.lt@soxaydung.example.vn"]
    assert all(m.channel == "email" and LIGHT in m.subject and "đồng ý gia hạn" in m.subject for m in mails)
    assert all("Hạn xử lý mới: 02/01/2099 08:00." in m.body and "/a/" in m.body for m in mails)

    # asked again without a date: a grant needs one typed; a refusal keeps the deadline
    await ask(served, light, None)
    got, body = await decide(hoa, light, decision="grant")
    assert (got, body["code"]) == (400, "until_required")
    got, body = await decide(hoa, light, decision="refuse", comment="Hạn đã đủ dài")
    assert got == 200
    a = row(db, light)
    assert (a.processing, a.deadline_at, a.reminded) == ("in_progress", site_time(served, "02/01/2099 08:00"), 0)
    # and once more, granted to a date 1022 types
    await ask(served, light, None)
    got, body = await decide(hoa, light, decision="grant", until="15/01/2099 16:30")
    assert got == 200 and row(db, light).deadline_at == site_time(served, "15/01/2099 16:30")
    assert [d["decision"] for d in details(db, LIGHT, "extension")] == ["grant", "refuse", "grant"]
    got, ticket = await status_of(hoa, f"/api/tickets/{LIGHT}")
    texts = [e["text"] for e in ticket["events"] if e["kind"] == "extension"]
    assert texts[0] == (f"hoa đồng ý gia hạn cho {LIGHTS_NAME}: hạn xử lý mới 02/01/2099 08:00"
                        " — ghi chú: “Đồng ý, báo lại khi xong”")
    assert texts[1] == (f"hoa không đồng ý gia hạn cho {LIGHTS_NAME}: hạn xử lý vẫn là 02/01/2099 08:00"
                        " — ghi chú: “Hạn đã đủ dài”")
    assert before < a.deadline_at


async def test_a_short_extension_of_an_old_case_sends_no_reminder_at_once(served):
    """Granted a day more after a month: 80 % of the new span has passed already, so that step
    counts as sent (no "80 %" reminder right after the grant); the 100 % escalation still follows."""
    db, light = served.db, served.ids["light"]
    hoa = await served.logged_in("hoa")
    month_ago = row(db, light).created_at - timedelta(days=30)
    with Session(db) as s, s.begin():
        s.execute(update(Assignment).where(Assignment.id == light).values(created_at=month_ago))
    await ask(served, light, None)
    tomorrow = (datetime.now(ZoneInfo(served.site.timezone)) + timedelta(days=1)).strftime("%d/%m/%Y %H:%M")
    got, body = await decide(hoa, light, decision="grant", until=tomorrow)
    assert got == 200, body
    assert row(db, light).reminded == 80
    assert light in [p.id for p in reminder_books.pending(db)]  # the 100 % step is still to come


@pytest.fixture
def sink():
    server = SmtpSink(refuse=("mai.lt@soxaydung.example.vn",))
    yield server
    server.stop()


async def test_the_notifications_fate_is_told_on_the_timeline(tmp_path, backend, sink):
    mail = {"host": "127.0.0.1", "port": sink.port, "sender": "1022@danang.example.vn"}
    async with ServedConsole(tmp_path, mail=mail, notify={"retry_minutes": 1}) as served:
        seed(served, forwarded=False)
        db = served.db
        hoa = await served.logged_in("hoa")
        lan = await served.logged_in("lan")
        async with lan.request("POST", f"/api/tickets/{LIGHT}/forward", json={"agencies": [LIGHTS]}) as r:
            assert r.status == 201, await r.text()
        ahead = [timedelta(0)]  # a test clock: the retry falls due by moving it, not by waiting
        box = Outbox(served.site, db, send_timeout_s=5, clock=lambda: utcnow() + ahead[0])
        sink.stop()  # the mail server is down at the first pass
        await box.send_due()
        sink.start()
        ahead[0] = timedelta(minutes=2)  # past the first retry (the site's 1 minute)
        await box.send_due()
        assert len(sink.received) == 1
        await box.send_due()  # nothing left: no event told twice
        kinds = [(d["recipient"], k) for k in ("notify_retry", "notify_sent", "notify_failed")
                 for d in details(db, LIGHT, k)]
        assert sorted(kinds) == [("hung.tv@soxaydung.example.vn", "notify_retry"),
                                 ("hung.tv@soxaydung.example.vn", "notify_sent"),
                                 ("mai.lt@soxaydung.example.vn", "notify_failed"),
                                 ("mai.lt@soxaydung.example.vn", "notify_retry")]  # SMS: not configured, untold
        async with hoa.request("GET", f"/api/tickets/{LIGHT}") as r:
            events = (await r.json())["events"]
        told = {(e["kind"], e["detail"]["recipient"]): e["text"] for e in events if e["kind"].startswith("notify_")}
        hung = f"Trần Văn Hùng ({LIGHTS_NAME}) — hung.tv@soxaydung.example.vn"
        assert told[("notify_sent", "hung.tv@soxaydung.example.vn")] == (
            f"Thư điện tử báo chuyển phiếu đã gửi tới {hung} (sau 2 lần thử)")
        assert told[("notify_retry", "hung.tv@soxaydung.example.vn")].startswith(
            f"Thư điện tử báo chuyển phiếu tới {hung} chưa gửi được (“")
        assert ", sẽ gửi lại lúc " in told[("notify_retry", "hung.tv@soxaydung.example.vn")]
        failed = told[("notify_failed", "mai.lt@soxaydung.example.vn")]
        assert failed.startswith(f"Thư điện tử báo chuyển phiếu tới Lê Thị Mai ({LIGHTS_NAME}) — "
                                 "mai.lt@soxaydung.example.vn không gửi được: “recipient refused: 550")
        sent = next(e for e in events if e["kind"] == "notify_sent")
        assert describe(sent, served.site, "en") == (f"Email (forwarding notice) sent to {hung} (after 2 tries)")
        whens = [e["at"] for e in events if e["kind"] in ("forward", "notify_retry", "notify_sent")]
        assert whens == sorted(whens)


def _pages(tmp_path) -> None:
    bg = ThreadedConsole(tmp_path)
    served = bg.served
    try:
        ids = seed(served)
        light = ids["light"]
        agency_work.request_extension(served.db, LIGHTS, light, "soxd_hung", "Chờ thay cáp ngầm",
                                      site_time(served, "20/12/2099 16:00"), utcnow())
        with browser() as b:
            sup = page(b)
            login(sup, served.base, "hoa", PASSWORD)
            sup.goto(f"{served.base}/tickets/{LIGHT}")
            sup.wait_for_selector(f"#grant-{light}")
            assert sup.input_value(f"#until-{light}") == "20/12/2099 16:00"  # the date the agency proposed
            assert "Cơ quan đề nghị gia hạn đến 20/12/2099 16:00" in sup.inner_text("#forwarding tbody")
            sup.click(f"#share-recording-{light}")
            sup.wait_for_selector(f"#share-recording-{light} >> text=Thôi chia sẻ ghi âm")
            sup.click(f"#share-caller-{light}")
            sup.wait_for_selector(f"#share-caller-{light} >> text=Thôi chia sẻ số điện thoại")
            shot(sup, "sharing-01-ticket-extension-asked")
            sup.set_viewport_size({"width": 390, "height": 844})
            assert not too_wide(sup), too_wide(sup)
            shot(sup, "sharing-02-ticket-extension-asked-390")
            sup.set_viewport_size({"width": 1280, "height": 900})
            sup.fill(f"#until-{light}", "22/12/2099 09:30")
            sup.fill(f"#extension-comment-{light}", "Đồng ý gia hạn thêm")
            sup.click(f"#grant-{light}")
            sup.wait_for_selector("#flash >> text=Đã gia hạn và gửi thư báo cho cơ quan.")
            sup.wait_for_selector("#forwarding tbody >> text=22/12/2099 09:30")
            assert sup.query_selector(f"#grant-{light}") is None
            shot(sup, "sharing-03-ticket-extension-granted")
            assert not sup.errors, sup.errors
            a = row(served.db, light)
            assert (a.deadline_at, a.processing, a.shared_recording, a.shared_caller) == (
                site_time(served, "22/12/2099 09:30"), "in_progress", True, True)

            for width in (1280, 390):
                ag = page(b, width=width, height=844 if width == 390 else 900)
                login(ag, served.base, "soxd_hung", PASSWORD)
                ag.goto(f"{served.base}/agency#{light}")
                ag.wait_for_selector("#case-recording", state="attached")
                assert ag.inner_text("#case-caller") == NUMBER
                facts = ag.inner_text("#case-facts")
                assert "Số điện thoại người phản ánh" in facts and "Ghi âm cuộc gọi" in facts
                assert "22/12/2099 09:30" in facts
                src = ag.get_attribute("#case-recording", "src")
                assert ag.evaluate(f"fetch('{src}').then((r) => r.status)") == 200
                assert not too_wide(ag), too_wide(ag)
                shot(ag, f"sharing-04-agency-case-shared-{width}")
                assert not ag.errors, ag.errors
            # the ward's own case shares nothing: no player, no number
            ward = page(b)
            login(ward, served.base, "haichau", PASSWORD)
            ward.goto(f"{served.base}/agency#{ids['ward']}")
            ward.wait_for_selector("#case:not([hidden]) #case-facts dd")
            assert ward.query_selector("#case-recording") is None and ward.query_selector("#case-caller") is None
    finally:
        bg.close()


def test_in_chromium_the_supervisor_shares_and_grants_and_the_agency_hears_the_call(tmp_path):
    _pages(tmp_path)
