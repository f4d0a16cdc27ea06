"""The portal's report form (issue 17): a citizen reports a problem with photos and a contact and
gets a ticket code at once; the ticket is a `web` one waiting for triage, on the agent desk and the
wallboard; the photos are stored without their metadata (the EXIF location kept in the row and as
the ticket's map point); every refused input writes nothing and says which field and why; a
honeypot and a per-address limit keep robots out. Both database backends; Chromium at phone size."""
from __future__ import annotations

import io
import os
import re
import threading
from html import unescape
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from acd.desk import pin_hash
from db.clock import utcnow
from db.models import Ticket, TicketEvent
from db.queries import agents as stored_agents
from db.queries import web_reports
from db.web_report_models import TicketPhoto
from intake import contact, photos
from intake import report as intake
from tests.harness.browser import browser, login, page, shot, too_wide
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole
from tests.harness.portal import ServedPortal, ThreadedPortal
from tests.harness.site import make_site

GPS = {1: "N", 2: (16.0, 4.0, 4.08), 3: "E", 4: (108.0, 13.0, 14.88)}  # 16.0678 N, 108.2208 E (Đà Nẵng)


def picture(kind: str = "JPEG", size: tuple[int, int] = (64, 48), gps: bool = True, rotate: bool = False) -> bytes:
    """A photo as a phone makes it: the camera's make and serial, a rotation, the place."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0xA431] = "Canon", "EOS 5D", "SERIAL-0042"
    if rotate:
        exif[0x0112] = 6  # the camera was held upright: turn 90° to show it
    if gps:
        exif[0x8825] = GPS
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind, exif=exif)
    return out.getvalue()


def noise_png(megabytes: float) -> bytes:
    """A real PNG of about `megabytes` (noise does not compress)."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=0)
    return out.getvalue()


GOOD = {"field": "trees", "area": "hai_chau", "address": "12 Trần Phú", "description": "Cây đổ chắn ngang đường",
        "phone": "0905 123 456", "email": "", "consent": "yes", "website": ""}


def form(values: dict[str, str] | None = None, files: list[tuple[str, bytes]] = ()) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for k, v in {**GOOD, **(values or {})}.items():
        if v is not None:
            data.add_field(k, v)
    for name, content in files:
        data.add_field("photos", content, filename=name, content_type="image/jpeg")
    return data


def written(db) -> tuple[int, int, int]:
    with Session(db) as s:
        return (s.scalar(select(func.count(Ticket.id))), s.scalar(select(func.count(TicketPhoto.id))),
                s.scalar(select(func.count(TicketEvent.id))))


def stored_files(site) -> list[Path]:
    root = site.paths.data / "photos"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ---- the checks, without a server ----

def test_contacts_are_vietnamese_numbers_or_emails_stored_normalised():
    for typed in ("0905 123 456", "+84 905 123 456", "0905.123.456", "(0236) 3822 123", "84905123456"):
        assert contact.phone(typed).startswith("0"), typed
    assert contact.phone("+84905123456") == "0905123456" and contact.phone("0236 3822 123") == "02363822123"
    for bad in ("123", "1900 1234 56", "+1 202 555 0123", "0905abc456", "113", "0123456789"):
        with pytest.raises(contact.ContactRefused):
            contact.phone(bad)
    assert contact.email(" Lan.Nguyen@Example.vn ") == "lan.nguyen@example.vn"
    for bad in ("lan@", "@example.vn", "lan example.vn", "lan@example", "lan@@example.vn"):
        with pytest.raises(contact.ContactRefused):
            contact.email(bad)
    with pytest.raises(contact.ContactRefused) as e:
        contact.contact("", " ")
    assert e.value.code == "no_contact"


def test_a_photo_loses_its_metadata_keeps_its_place_and_stands_upright():
    clean = photos.clean(picture(rotate=True))
    again = Image.open(io.BytesIO(clean.data))
    assert again.format == "JPEG" and dict(again.getexif()) == {} and "exif" not in again.info
    assert b"Canon" not in clean.data and b"SERIAL-0042" not in clean.data and b"Exif" not in clean.data
    assert clean.gps == (16.0678, 108.2208) and (clean.width, clean.height) == (48, 64)
    png = photos.clean(picture("PNG", gps=False))
    assert png.extension == "png" and png.gps is None and b"Canon" not in png.data
    for bad in (b"just a text file", b"\xff\xd8\xff\xe0" + bytes(200), picture()[:300]):
        with pytest.raises(photos.PhotoRefused) as e:
            photos.clean(bad)
        assert e.value.code == "not_image"
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    with pytest.raises(photos.PhotoRefused):
        photos.clean(gif.getvalue())
    with pytest.raises(photos.PhotoRefused) as e:
        photos.clean(bytes(photos.MAX_BYTES + 1))
    assert e.value.code == "too_big"


def test_every_problem_of_a_form_is_named_at_once():
    typed = intake.Typed(field="", area="nowhere", address="x" * 300, description="d" * 4001, phone="12",
                         email="bad@", consent=False, photos=(("a.jpg", b"text"),))
    report, problems = intake.check(typed, {"trees"}, {"hai_chau"})
    assert report is None
    assert [(p.name, p.code) for p in problems] == [
        ("field", "missing"), ("area", "unknown"), ("address", "too_long"), ("description", "too_long"),
        ("phone", "bad_phone"), ("email", "bad_email"), ("consent", "missing"), ("photos", "not_image")]
    report, problems = intake.check(intake.Typed(field="trees", area="hai_chau", description=" Cây đổ\r\n ",
                                                 email="a@b.vn", consent=True), {"trees"}, {"hai_chau"})
    assert problems == [] and report.description == "Cây đổ" and report.contact == contact.Contact(None, "a@b.vn")


# ---- the form over HTTP ----

async def test_a_report_with_a_photo_becomes_a_web_ticket_waiting_for_triage(tmp_path):
    async with ServedPortal(tmp_path) as served:
        http = served.client()
        async with http.get("/report") as r:
            page_html = await r.text()
        assert r.status == 200 and "Gửi phản ánh" in page_html and 'class="hp"' in page_html
        assert not re.search(r"style=", page_html)  # the CSP refuses inline styles: the honeypot hides by class
        async with http.post("/report", data=form(files=[("IMG_0042.jpg", picture(rotate=True))])) as r:
            done = await r.text()
        assert r.status == 200, done
        code = re.search(r'id="ticket-code">([^<]+)<', done).group(1)
        assert re.fullmatch(r"1022-\d{6}-\d{4}", code) and 'href="/lookup"' in done
        with Session(served.db) as s:
            t = s.scalar(select(Ticket).where(Ticket.code == code))
            rows = s.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == t.id)).all()
            events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)).all()
        assert (t.kind, t.status, t.field, t.area, t.address, t.summary) == (
            "web", "new", "trees", "hai_chau", "12 Trần Phú", "Cây đổ chắn ngang đường")
        assert (t.contact_phone, t.contact_email, t.consent) == ("0905123456", None, True)
        assert (t.call_id, t.agent) == (None, None)
        assert t.map_point == "16.067800,108.220800"  # no point given: the photo's
        assert [e.kind for e in events] == ["web_report"] and "0905" not in (events[0].detail or "")
        [row] = rows
        assert (row.gps, row.content_type, row.width, row.height) == ("16.0678,108.2208", "image/jpeg", 48, 64)
        stored = served.site.paths.data / "photos" / row.path
        again = Image.open(stored)
        assert dict(again.getexif()) == {} and "exif" not in again.info and b"Canon" not in stored.read_bytes()
        assert row.bytes == stored.stat().st_size
        # the citizen's contact never reaches the page they get back
        assert "0905" not in done and "123 456" not in done


REFUSALS = [  # (what is sent, the message that names the field, the files)
    ({"description": "d" * 4001}, "Nội dung phản ánh: tối đa 4.000 ký tự (bạn đã nhập 4.001).", []),
    ({}, "Hình ảnh: tối đa 3 ảnh (bạn đã chọn 4).", [(f"p{i}.jpg", picture()) for i in range(4)]),
    ({}, "Ảnh “ghi-chu.jpg”: không phải ảnh JPEG hoặc PNG.", [("ghi-chu.jpg", "Cây đổ ở Trần Phú".encode())]),
    ({}, "Ảnh “to.png”: lớn hơn 5 MB.", [("to.png", noise_png(6))]),
    ({"phone": "", "email": ""}, "Liên hệ: hãy cho số điện thoại hoặc email để tổng đài liên hệ được với bạn.", []),
    ({"consent": None}, "Đồng ý liên hệ: hãy đánh dấu ô đồng ý để được liên hệ về phản ánh.", []),
    ({"phone": "", "email": "lan@example"}, "Email: không phải địa chỉ email hợp lệ (ví dụ ten@example.vn).", []),
    ({"phone": "0905 12"}, "Số điện thoại: không phải số di động hoặc cố định Việt Nam (ví dụ 0905 123 456).", []),
    ({"field": "", "area": ""}, "Lĩnh vực: hãy chọn lĩnh vực của sự việc.", []),
]


async def test_each_refused_input_writes_nothing_says_why_and_keeps_what_was_typed(tmp_path):
    async with ServedPortal(tmp_path) as served:
        http = served.client()
        before = written(served.db)
        for values, message, files in REFUSALS:
            typed = {**GOOD, **values, "address": "Trước số 12 Trần Phú <b>"}
            async with http.post("/report", data=form(typed, files)) as r:
                html = await r.text()
            assert r.status == 400, message
            assert message in unescape(html), (message, re.findall(r"<li>(.*?)</li>", html))
            assert 'value="Trước số 12 Trần Phú &lt;b&gt;"' in html  # kept, and escaped
            if "description" not in values:
                assert ">Cây đổ chắn ngang đường</textarea>" in html
            assert written(served.db) == before and stored_files(served.site) == [], message
        async with http.post("/report?lang=en", data=form({"phone": "", "email": "lan@"})) as r:
            english = unescape(await r.text())
        assert r.status == 400 and "Email: not an email address (e.g. ten@example.vn)." in english
        # a robot fills the field people never see: a refusal that names nothing, nothing written
        robot_form = form({"website": "http://spam.example"}, [("a.jpg", picture())])
        async with http.post("/report?lang=vi", data=robot_form) as r:
            robot = await r.text()
        assert r.status == 400 and "Không thể tiếp nhận phản ánh này" in robot and "ticket-code" not in robot
        assert written(served.db) == before and stored_files(served.site) == []
        # over the request's 16 MB: refused before it is read, in words
        heavy = form(files=[(f"{i}.jpg", bytes(4_500_000)) for i in range(4)])
        async with http.post("/report", data=heavy) as r:
            assert r.status == 413 and "Mỗi lần gửi không được quá 16 MB" in await r.text()
        assert written(served.db) == before and stored_files(served.site) == []


async def test_a_sixth_report_within_the_hour_is_refused_with_retry_after(tmp_path):
    async with ServedPortal(tmp_path) as served:
        http = served.client()
        for i in range(5):
            async with http.post("/report", data=form({"description": f"Phản ánh số {i + 1}"})) as r:
                assert r.status == 200
        async with http.post("/report", data=form({"description": "Phản ánh số 6"})) as r:
            html = await r.text()
        assert r.status == 429 and 3000 < int(r.headers["Retry-After"]) <= 3600
        assert "Quá nhiều phản ánh từ kết nối này" in html and "Vui lòng thử lại sau" in html and "phút" in html
        assert written(served.db)[0] == 5


# ---- the staff side ----

async def test_the_desk_lists_it_an_agent_takes_it_and_reads_the_photos(tmp_path):
    async with ServedPortal(tmp_path) as portal:
        http = portal.client()
        async with http.post("/report", data=form({"phone": "", "email": "Lan@Example.vn"},
                                                  [("a.jpg", picture()), ("b.png", picture("PNG", gps=False))])) as r:
            code = re.search(r'id="ticket-code">([^<]+)<', await r.text()).group(1)
        async with ServedConsole(tmp_path, site=portal.site) as served:
            lan, minh, hoa = [await served.logged_in(u) for u in ("lan", "minh", "hoa")]
            async with hoa.request("GET", "/api/wallboard") as r:
                board = await r.json()
            assert (board["web_waiting"], board["web_waiting_level"]) == (1, "amber")
            async with lan.request("GET", "/api/triage") as r:
                listing = await r.json()
            rows = [(w["code"], w["field"], w["area"], w["photos"]) for w in listing["waiting"]]
            assert listing["total"] == 1 and rows == [(code, "trees", "hai_chau", 2)]
            assert "contact" not in str(listing) and "example" not in str(listing).lower()
            async with lan.request("GET", f"/api/tickets/{code}") as r:
                assert r.status == 403  # not hers until she takes it
            async with lan.request("POST", f"/api/triage/{code}/take") as r:
                assert r.status == 200 and (await r.json())["status"] == "open"
            async with minh.request("POST", f"/api/triage/{code}/take") as r:
                assert r.status == 409 and (await r.json())["code"] == "already_taken"
            async with lan.request("GET", f"/api/tickets/{code}") as r:
                ticket = await r.json()
            assert (ticket["status"], ticket["agent"], ticket["kind"]) == ("open", "101", "web")
            async with lan.request("GET", f"/api/triage/{code}") as r:
                report = await r.json()
            contact_kept = (report["contact_email"], report["contact_phone"], report["consent"])
            assert contact_kept == ("lan@example.vn", None, True)
            assert [(p["content_type"], p["gps"]) for p in report["photos"]] == [
                ("image/jpeg", "16.0678,108.2208"), ("image/png", None)]
            url = report["photos"][0]["url"]
            async with lan.request("GET", url) as r:
                body = await r.read()
            assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg" and b"Canon" not in body
            assert Image.open(io.BytesIO(body)).size == (64, 48)
            for who in (minh,):
                async with who.request("GET", url) as r:
                    assert r.status == 403  # minh may not read lan's ticket, nor its photos
            async with hoa.request("GET", url) as r:
                assert r.status == 200
            async with served.client().request("GET", url) as r:
                assert r.status == 401
            async with lan.request("GET", "/api/triage") as r:
                assert (await r.json())["total"] == 0
        async with http.get(url) as r:
            assert r.status == 404  # the portal never serves a photo


def test_two_agents_taking_the_same_report_at_once_one_gets_it(tmp_path):
    site = make_site(tmp_path)
    from db import store
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    code = web_reports.submit(db, web_reports.NewReport("trees", "hai_chau", None, "Cây đổ", "0905123456", None, True),
                              web_reports.day_prefix(site.hotline, utcnow()), utcnow())
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def take(agent: str) -> None:
        start.wait()
        try:
            web_reports.take(db, code, agent, f"agent{agent}", utcnow())
            outcomes.append("taken")
        except web_reports.NotWaiting as e:
            outcomes.append(f"refused:{e.agent}")

    threads = [threading.Thread(target=take, args=(a,)) for a in ("101", "102")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with Session(db) as s:
        t = s.scalar(select(Ticket).where(Ticket.code == code))
        edits = s.scalars(select(TicketEvent.detail)
                          .where(TicketEvent.ticket_id == t.id, TicketEvent.kind == "edit")).all()
    assert sorted(outcomes) == ["refused:" + t.agent, "taken"] and t.status == "open" and len(edits) == 1
    assert web_reports.waiting_count(db) == 0
    db.dispose()


# ---- in Chromium ----

def test_a_citizen_reports_from_a_phone_and_the_desk_sees_it_waiting(tmp_path):
    site = make_site(tmp_path)
    portal = ThreadedPortal(tmp_path, site=site)
    desk = ThreadedConsole(tmp_path, site=site)
    stored_agents.add(desk.served.db, "101", "Nguyễn Thị Lan", pin_hash("test", "4821"), {"incidents": 0})
    photo = tmp_path / "cay-do.jpg"
    photo.write_bytes(picture(size=(640, 480)))
    try:
        with browser() as b:
            wide = page(b, width=1280, height=900)
            wide.goto(portal.served.base + "/report")
            wide.wait_for_selector("#report-form")
            assert too_wide(wide) == []
            shot(wide, "portal-report-1280")
            p = page(b, width=390, height=844)
            p.goto(portal.served.base + "/report")
            p.wait_for_selector("#report-form")
            assert too_wide(p) == []
            assert p.eval_on_selector(".hp", "e => e.getBoundingClientRect().right <= 0")  # the honeypot: off screen
            shot(p, "portal-report-390")
            p.select_option("#field", "trees")
            p.select_option("#area", "hai_chau")
            p.fill("#address", "Trước số 12 Trần Phú")
            p.fill("#description", "Cây xanh bị đổ chắn ngang đường sau mưa lớn.")
            p.wait_for_function("() => document.getElementById('description-count').textContent.startsWith('44 /')")
            p.set_input_files("#photos", str(photo))
            p.fill("#phone", "0905 123 456")
            p.check("#consent")
            p.click("#report-send")
            p.wait_for_selector("#ticket-code")
            code = p.text_content("#ticket-code").strip()
            assert re.fullmatch(r"1022-\d{6}-\d{4}", code) and p.is_visible("#go-lookup")
            assert too_wide(p) == []
            shot(p, "portal-report-done-390")
            assert p.errors == [] and wide.errors == []

            board = page(b, width=1280, height=900)
            login(board, desk.served.base, "hoa", PASSWORD)
            board.goto(desk.served.base + "/wallboard")
            board.wait_for_function("() => (document.getElementById('web-waiting') || {}).textContent"
                                    " === 'Phản ánh chờ phân loại: 1'", timeout=30000)
            shot(board, "wallboard-web-waiting-1280")

            for width in (1280, 390):
                a = page(b, width=width, height=900)
                login(a, desk.served.base, "lan", PASSWORD)
                a.goto(desk.served.base + "/agent")
                a.wait_for_selector(f"#triage-{code}")
                assert a.text_content("#triage-title") == "Phản ánh trực tuyến chờ phân loại (1)"
                row = a.text_content("#triage-list tbody tr")
                assert "Cây xanh" in row and "Quận Hải Châu" in row and "0905" not in row
                assert too_wide(a) == []
                shot(a, f"desk-triage-{width}")
            a.click(f"#triage-{code}")
            a.wait_for_url(re.compile(f"/tickets/{code}$"))
            a.wait_for_function("() => (document.querySelector('#web-photos img') || {}).naturalWidth === 640")
            assert "0905123456" in a.text_content("#web-report")
            shot(a, "ticket-web-report-390")
            assert a.errors == [] and board.errors == []
        with Session(portal.served.db) as s:
            t = s.scalar(select(Ticket).where(Ticket.code == code))
        assert (t.kind, t.status, t.agent) == ("web", "open", "101")
    finally:
        desk.close()
        portal.close()
