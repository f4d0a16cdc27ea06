"""The agency's side of the console on the served app (no Asterisk): its own assignments only,
acknowledge / answer with attachments / reject / more time, refusals that write nothing, the
one-time link (once, until it expires, audited), and the link opened in Chromium."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.agency_settings import AgencyData, Contact
from db.agency_models import AccessLink, Assignment, Attachment
from db.clock import utcnow
from db.models import Audit, Ticket, TicketEvent
from db.queries import agencies
from db.queries import agency_work
from tests.harness.browser import browser, page, shot
from tests.harness.console import PASSWORD, ServedConsole, add_ticket
from web import accounts

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _seed(served: ServedConsole) -> dict[str, int]:
    db, site = served.db, served.site
    for key, user in (("den_dn", "den"), ("nuoc_dn", "nuoc")):
        agencies.add(db, AgencyData(key, f"Cơ quan {key}", "utility", ("lighting",), (),
                                    (Contact(f"Người liên hệ {key}", f"{user}@example.vn", "0905000111", user, True),)),
                     "test")
        accounts.add_user(db, user, "agency", PASSWORD, name=f"Cán bộ {key}", agency=key)
    add_ticket(db, site.paths.recordings, "1022-AG-0001", "101", field="lighting")
    add_ticket(db, site.paths.recordings, "1022-AG-0002", "101", field="lighting")
    now = utcnow()
    ids = {}
    with Session(db) as s, s.begin():
        for name, code, agency, due in (("late", "1022-AG-0001", "den_dn", now - timedelta(hours=1)),
                                        ("soon", "1022-AG-0002", "den_dn", now + timedelta(days=2)),
                                        ("other", "1022-AG-0002", "nuoc_dn", now + timedelta(days=1))):
            tid = s.scalar(select(Ticket.id).where(Ticket.code == code))
            s.execute(Ticket.__table__.update().where(Ticket.id == tid)
                      .values(summary="Đèn đường hỏng", area="hai_chau"))
            a = Assignment(ticket_id=tid, agency=agency, created_at=now - timedelta(days=1), created_by="hoa",
                           delivery="sent", deadline_at=due)
            s.add(a)
            s.flush()
            ids[name] = a.id
    return ids


@pytest.fixture
async def served(tmp_path):
    async with ServedConsole(tmp_path) as served:
        served.ids = await asyncio.to_thread(_seed, served)
        yield served


def _assignment(db, aid: int) -> Assignment:
    with Session(db) as s:
        return s.get(Assignment, aid)


def _count(db, model) -> int:
    with Session(db) as s:
        return len(s.scalars(select(model)).all())


def _audits(db, action: str) -> list[Audit]:
    with Session(db) as s:
        return list(s.scalars(select(Audit).where(Audit.action == action)))


def test_an_agency_user_needs_an_existing_agency(served):
    with pytest.raises(accounts.AccountError):
        accounts.add_user(served.db, "ai", "agency", PASSWORD, agency="khong_co")
    with pytest.raises(accounts.AccountError):
        accounts.add_user(served.db, "ai", "agency", PASSWORD)
    with pytest.raises(accounts.AccountError):
        accounts.add_user(served.db, "ai", "leader", PASSWORD, agency="den_dn")


async def test_the_agency_sees_its_own_assignments_only_without_recordings(served):
    ids = served.ids
    cl = await served.logged_in("den")
    async with cl.request("GET", "/api/agency/assignments") as r:
        assert r.status == 200
        body = await r.json()
    assert [a["id"] for a in body["assignments"]] == [ids["late"], ids["soon"]]  # oldest deadline first
    assert body["assignments"][0]["overdue"] and not body["assignments"][1]["overdue"]
    text = json.dumps(body)
    assert "recording" not in text and "0905111222" not in text and ".wav" not in text
    async with cl.request("GET", f"/api/agency/assignments/{ids['other']}") as r:
        assert r.status == 403
    async with cl.request("POST", f"/api/agency/assignments/{ids['other']}/acknowledge", json={}) as r:
        assert r.status == 403
    assert _assignment(served.db, ids["other"]).delivery == "sent"
    for path in ("/api/tickets", "/tickets/1022-AG-0001", "/api/recordings/1/audio"):
        async with cl.request("GET", path) as r:
            assert r.status == 403, path
    async with cl.request("GET", "/api/agency/stats") as r:
        assert await r.json() == {"agency": "den_dn", "open": 2, "overdue": 1, "answered_on_time": 0,
                                  "answered_late": 0, "rejected": 0}


async def test_acknowledge_answer_with_files_then_refused_again(served):
    aid, db = served.ids["soon"], served.db
    cl = await served.logged_in("den")
    async with cl.request("POST", f"/api/agency/assignments/{aid}/acknowledge", json={}) as r:
        assert r.status == 200
    assert _assignment(db, aid).delivery == "acknowledged"
    form = aiohttp.FormData()
    form.add_field("text", "Đã thay bóng đèn.")
    form.add_field("files", PDF, filename="bien-ban.pdf", content_type="application/pdf")
    form.add_field("files", PNG, filename="anh.png", content_type="image/png")
    async with cl.request("POST", f"/api/agency/assignments/{aid}/answer", data=form) as r:
        assert r.status == 201, await r.text()
    a = _assignment(db, aid)
    assert (a.processing, a.review, a.answer, a.answered_by) == ("answered", "pending", "Đã thay bóng đèn.", "den")
    with Session(db) as s:
        files = list(s.scalars(select(Attachment).where(Attachment.assignment_id == aid)))
        kinds = [e.kind for e in s.scalars(select(TicketEvent).join(Ticket).where(Ticket.code == "1022-AG-0002"))]
    assert [(f.filename, f.content_type) for f in files] == [("bien-ban.pdf", "application/pdf"),
                                                             ("anh.png", "image/png")]
    assert (served.site.paths.data / "attachments" / files[0].path).read_bytes() == PDF
    assert "agency_acknowledged" in kinds and "agency_answered" in kinds
    async with cl.request("GET", f"/api/agency/assignments/{aid}/files/{files[0].id}") as r:
        assert r.status == 200 and await r.read() == PDF
    other = await served.logged_in("nuoc")
    async with other.request("GET", f"/api/agency/assignments/{aid}/files/{files[0].id}") as r:
        assert r.status == 403
    async with cl.request("POST", f"/api/agency/assignments/{aid}/reject", json={"reason": "x"}) as r:
        assert r.status == 409


@pytest.mark.parametrize("name,data,why", [("virus.pdf", b"MZ\x90\x00" + bytes(100), "agency.err_file_type"),
                                           ("to.pdf", b"%PDF-" + bytes(5 * 1024 * 1024), "agency.err_file_big")])
async def test_a_bad_attachment_refuses_the_answer_and_writes_nothing(served, name, data, why):
    aid, db = served.ids["soon"], served.db
    cl = await served.logged_in("den")
    form = aiohttp.FormData()
    form.add_field("text", "Trả lời")
    form.add_field("files", PDF, filename="ok.pdf", content_type="application/pdf")
    form.add_field("files", data, filename=name, content_type="application/pdf")
    async with cl.request("POST", f"/api/agency/assignments/{aid}/answer", data=form) as r:
        assert r.status == 400
        body = await r.json()
    assert body["code"] == why and name in body["error"]
    assert _assignment(db, aid).processing == "in_progress"
    assert _count(db, Attachment) == 0
    folder = served.site.paths.data / "attachments"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


async def test_reject_and_more_time(served):
    db, ids = served.db, served.ids
    cl = await served.logged_in("den")
    async with cl.request("POST", f"/api/agency/assignments/{ids['late']}/extension",
                          json={"reason": "Chờ vật tư", "until": "2099-01-02T08:00"}) as r:
        assert r.status == 200
    assert (_assignment(db, ids["late"]).processing, _assignment(db, ids["late"]).reason) == (
        "extension_requested", "Chờ vật tư")
    async with cl.request("POST", f"/api/agency/assignments/{ids['soon']}/reject", json={"reason": ""}) as r:
        assert r.status == 400
    async with cl.request("POST", f"/api/agency/assignments/{ids['soon']}/reject",
                          json={"reason": "Thuộc cấp nước", "suggested_agency": "nuoc_dn"}) as r:
        assert r.status == 200
    a = _assignment(db, ids["soon"])
    assert (a.processing, a.reason, a.suggested_agency) == ("rejected", "Thuộc cấp nước", "nuoc_dn")


async def test_a_one_time_link_opens_one_assignment_once_until_it_expires(served):
    db, ids = served.db, served.ids
    token = agency_work.create_link(db, ids["soon"], None, 24)
    cl = served.client()
    async with cl.request("GET", f"/a/{token}") as r:
        assert r.status == 302 and r.headers["Location"] == f"/agency#{ids['soon']}"
    async with cl.request("GET", "/api/agency/assignments") as r:
        body = await r.json()
        assert body["single"] and [a["id"] for a in body["assignments"]] == [ids["soon"]]
    for other in (ids["late"], ids["other"]):
        async with cl.request("GET", f"/api/agency/assignments/{other}") as r:
            assert r.status == 403
    async with cl.request("GET", "/api/tickets") as r:
        assert r.status == 403
    csrf = None
    async with cl.request("GET", "/agency") as r:
        assert r.status == 200
        csrf = (await r.text()).split('name="csrf-token" content="')[1].split('"')[0]
    cl.csrf = csrf
    async with cl.request("POST", f"/api/agency/assignments/{ids['soon']}/acknowledge", json={}) as r:
        assert r.status == 200
    assert _assignment(db, ids["soon"]).delivery == "acknowledged"
    stranger = served.client()
    async with stranger.request("GET", f"/a/{token}") as r:  # reused
        assert r.status == 410
        assert "Đường dẫn đã được sử dụng" in await r.text()
    expired = agency_work.create_link(db, ids["late"], None, 1, now=utcnow() - timedelta(hours=2))
    async with stranger.request("GET", f"/a/{expired}") as r:
        assert r.status == 410 and "Đường dẫn đã hết hạn" in await r.text()
    async with stranger.request("GET", "/api/agency/assignments") as r:
        assert r.status == 401  # a refused link opens nothing
    async with stranger.request("GET", "/a/not-a-token") as r:
        assert r.status == 404
    assert [a.target for a in _audits(db, "agency_link_used")] == [f"assignment:{ids['soon']}"]
    refused = [json.loads(a.detail)["why"] for a in _audits(db, "agency_link_refused")]
    assert refused == ["link_used", "link_expired", "link_unknown"]
    with Session(db) as s:
        assert all(len(h) == 64 and token not in h for h in s.scalars(select(AccessLink.token_hash)))


def _answer_in_chromium(base: str, token: str, pdf: str) -> list[str]:
    with browser() as b:
        p = page(b, width=390, height=844)
        p.goto(f"{base}/a/{token}")
        p.wait_for_selector("#case:not([hidden]) #answer-form")
        assert "Vụ việc 1022-AG-0002" in p.inner_text("#case-title")
        shot(p, "agency-01-link-case")
        p.fill("#answer-text", "Đã thay bóng đèn, đèn sáng lại.")
        p.set_input_files("#answer-files", pdf)
        p.click("#answer-send")
        p.wait_for_selector("#case-answer-view:not([hidden])")
        shot(p, "agency-02-answered")
        return p.errors


async def test_the_link_opens_the_case_in_chromium_and_the_contact_answers_with_a_pdf(served, tmp_path):
    aid = served.ids["soon"]
    token = agency_work.create_link(served.db, aid, None, 24)
    pdf = tmp_path / "bien-ban.pdf"
    pdf.write_bytes(PDF)
    errors = await asyncio.to_thread(_answer_in_chromium, served.base, token, str(pdf))
    assert errors == []
    a = _assignment(served.db, aid)
    assert (a.processing, a.review) == ("answered", "pending")
    assert _count(served.db, Attachment) == 1
