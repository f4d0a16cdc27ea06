"""The supervisors' review of the public list (issue 17): what the portal will show of each resolved
case and from when, already redacted; hiding a case takes it off the portal's /cases, a public text
written by the supervisor replaces the original there (and is redacted too), the originals stay in
the database, and each change is an audit row and a ticket event; other roles are refused; the
/publication page in Chromium at 1280 and 390 px. On SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.agency_models import Assignment
from db.models import Audit, Ticket, TicketEvent
from db.queries import publication as stored
from db.clock import utcnow
from tests.harness.browser import browser, login, page, shot, too_wide
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole, add_ticket
from tests.harness.portal import ServedPortal
from tests.test_portal_results import seed_cases

H = "[đã ẩn]"


def stored_texts(db, code: str) -> tuple[str, list[str]]:
    with Session(db) as s:
        t = s.scalar(select(Ticket).where(Ticket.code == code))
        return t.summary, list(s.scalars(select(Assignment.answer).where(Assignment.ticket_id == t.id)))


def trail(db, code: str) -> tuple[list[tuple[str, str]], list[dict]]:
    """(actor, action) of the audit rows about `code`, and its publication events' details."""
    with Session(db) as s:
        audits = [(a.actor, a.action) for a in s.scalars(select(Audit).where(Audit.target == code).order_by(Audit.id))]
        t = s.scalar(select(Ticket).where(Ticket.code == code))
        events = [json.loads(e.detail) for e in s.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.kind == "publication")
            .order_by(TicketEvent.id))]
    return audits, events


async def cases_page(served: ServedPortal) -> str:
    async with served.client().get("/cases?lang=vi") as r:
        assert r.status == 200
        return await r.text()


async def test_a_supervisor_hides_and_rewrites_what_the_portal_shows(tmp_path):
    async with ServedConsole(tmp_path) as console:
        codes = await asyncio.to_thread(seed_cases, console.db, console.site, 3)
        async with ServedPortal(tmp_path, site=console.site) as portal:
            hoa = await console.logged_in("hoa")
            async with hoa.request("GET", "/api/publication/cases") as r:
                assert r.status == 200
                data = await r.json()
            assert data["total"] == 4 and data["publish_after_hours"] == 24
            recent, *public = data["cases"]
            assert [c["code"] for c in data["cases"]] == codes  # the latest resolved first
            assert (recent["public"], [c["public"] for c in public]) == (False, [True, True, True])
            assert recent["public_at"] > utcnow().isoformat()
            one = public[0]  # the third case (n=2): its caller Nguyễn Văn An, 0905123456
            assert "Nguyễn Văn An" in one["summary"] and "0905 123 456" in one["summary"]  # staff see the original
            assert "Nguyễn Văn An" not in one["shown_summary"] and "0905" not in one["shown_summary"]
            assert one["shown_summary"].startswith(f"Ông {H} ({H}, {H}) báo cây đổ ngày 12/03/2026")
            assert "0905" not in one["answers"][0]["shown"] and one["answers"][0]["public"] is None
            original = await asyncio.to_thread(stored_texts, console.db, one["code"])

            for user in ("lan", "tuan", "mai"):  # agents, leaders and callback workers may not
                cl = await console.logged_in(user)
                async with cl.request("GET", "/api/publication/cases") as r:
                    assert r.status == 403, user
                hide = {"hidden": True}
                async with cl.request("POST", f"/api/publication/cases/{one['code']}/hidden", json=hide) as r:
                    assert r.status == 403, user

            # hidden: off the public list; the ticket as it was; audited and on the timeline
            assert "Số 2." in await cases_page(portal)
            async with hoa.request("POST", f"/api/publication/cases/{one['code']}/hidden", json={"hidden": True}) as r:
                assert (r.status, (await r.json())["changed"]) == (200, True)
            async with hoa.request("POST", f"/api/publication/cases/{one['code']}/hidden", json={"hidden": True}) as r:
                assert (await r.json())["changed"] is False  # already hidden: nothing written
            shown = await cases_page(portal)
            assert "Số 2." not in shown and "Số 1." in shown and "Số 0." in shown
            assert await asyncio.to_thread(stored_texts, console.db, one["code"]) == original
            audits, events = await asyncio.to_thread(trail, console.db, one["code"])
            assert audits == [("hoa", "publication_hide")] and events == [{"by": "hoa", "change": "publication_hide"}]

            # shown again, with the supervisor's own texts (redacted as well); the originals stay
            async with hoa.request("POST", f"/api/publication/cases/{one['code']}/hidden", json={"hidden": False}) as r:
                assert r.status == 200
            aid = one["answers"][0]["id"]
            texts = {"summary": "Cây đổ chắn lối đi, người dân báo qua 0905 123 456.",
                     "answers": {str(aid): "Công ty đã cắt tỉa và dọn cây trong ngày."}}
            async with hoa.request("PUT", f"/api/publication/cases/{one['code']}/texts", json=texts) as r:
                assert (r.status, (await r.json())["changed"]) == (200, ["summary", f"answer {aid}"])
            shown = await cases_page(portal)
            assert f"Cây đổ chắn lối đi, người dân báo qua {H}." in shown
            assert "Công ty đã cắt tỉa và dọn cây trong ngày." in shown and "Đã xử lý xong số 2." not in shown
            assert await asyncio.to_thread(stored_texts, console.db, one["code"]) == original
            async with hoa.request("GET", "/api/publication/cases") as r:
                again = next(c for c in (await r.json())["cases"] if c["code"] == one["code"])
            assert again["public_summary"] == texts["summary"] and again["updated_by"] == "hoa"
            assert again["answers"][0]["public"] == texts["answers"][str(aid)]

            # back to the automatic version
            async with hoa.request("PUT", f"/api/publication/cases/{one['code']}/texts",
                                   json={"summary": None, "answers": {str(aid): ""}}) as r:
                assert (await r.json())["changed"] == ["summary", f"answer {aid}"]
            shown = await cases_page(portal)
            assert "Đã xử lý xong số 2." in shown and "Cây đổ chắn lối đi" not in shown
            audits, events = await asyncio.to_thread(trail, console.db, one["code"])
            assert [a for _, a in audits] == ["publication_hide", "publication_show", "publication_text",
                                              "publication_text"]
            assert events[2]["changed"] == ["summary", f"answer {aid}"] and events[2]["by"] == "hoa"

            # refused, in the supervisor's words
            await asyncio.to_thread(add_ticket, console.db, console.site.paths.recordings, "1022-260101-9999", "101")
            for method, path, body, status, code in (
                    ("POST", "/api/publication/cases/NO-SUCH/hidden", {"hidden": True}, 404, "not_found"),
                    ("POST", "/api/publication/cases/1022-260101-9999/hidden", {"hidden": True}, 409, "not_resolved"),
                    ("PUT", f"/api/publication/cases/{one['code']}/texts", {"answers": {"999999": "x"}}, 400,
                     "unknown_answer"),
                    ("PUT", f"/api/publication/cases/{one['code']}/texts", {"summary": "x" * 4001}, 400, "too_long")):
                async with hoa.request(method, path, json=body) as r:
                    answer = await r.json()
                assert (r.status, answer["code"]) == (status, f"publication.err_{code}"), path
                assert answer["error"] != code  # words, not the code
            for body in ({"hidden": "yes"}, {}):
                async with hoa.request("POST", f"/api/publication/cases/{one['code']}/hidden", json=body) as r:
                    assert r.status == 400
            async with hoa.request("PUT", f"/api/publication/cases/{one['code']}/texts", json={"summary": 5}) as r:
                assert r.status == 400


async def test_nothing_is_written_when_nothing_changes(tmp_path):
    async with ServedConsole(tmp_path) as console:
        [_recent, code, *_] = await asyncio.to_thread(seed_cases, console.db, console.site, 2)
        assert stored.set_hidden(console.db, code, False, "hoa", utcnow()) is False
        assert stored.set_texts(console.db, code, "hoa", utcnow(), summary=None, answers={}) == []
        audits, events = trail(console.db, code)
        assert audits == [] and events == []
        total, cases = stored.resolved(console.db)
        assert total == 3 and not any(c.hidden or c.updated_by for c in cases)


def test_the_publication_page_in_chromium(tmp_path):
    bg = ThreadedConsole(tmp_path)
    try:
        served = bg.served
        seed_cases(served.db, served.site, 4)
        with browser() as b:
            for width, height in ((1280, 900), (390, 844)):
                p = page(b, width=width, height=height)
                login(p, served.base, "hoa", PASSWORD)
                p.goto(served.base + "/tickets")
                p.click("#nav-publication")
                p.wait_for_selector("#publication-cases[data-loaded] .publication-case")
                text = p.inner_text("#publication-cases")
                assert "Công khai từ" in text and "Đang công khai" in text and H in text
                assert "Nguyễn Văn An" not in p.inner_text(".publication-case .shown-summary")
                assert too_wide(p) == []
                shot(p, f"publication-{width}")
                if width == 1280:
                    first = p.locator(".publication-case").nth(1)
                    first.locator("button.toggle").click()
                    p.wait_for_selector(".publication-case [data-state='hidden']")
                    p.locator(".publication-case").nth(1).locator("button.edit").click()
                    p.wait_for_selector(".publication-case form.publication-edit:not([hidden])")
                    shot(p, "publication-1280-edit")
                assert p.errors == []
                p.context.close()
            lan = page(b)
            login(lan, served.base, "lan", PASSWORD)
            assert lan.locator("#nav-publication").count() == 0  # agents have no such link
            lan.context.close()
    finally:
        bg.close()
