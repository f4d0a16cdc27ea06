"""The public portal's frame: no login, Vietnamese first with English one link away (remembered),
strict security headers, nothing from other hosts, a phone screen first."""
from __future__ import annotations

import re

from tests.harness.browser import browser, page, shot, too_wide
from tests.harness.portal import ServedPortal, ThreadedPortal


async def test_the_front_page_is_vietnamese_first_and_english_on_request(tmp_path):
    async with ServedPortal(tmp_path) as served:
        http = served.client()
        async with http.get("/") as r:
            assert r.status == 200
            html = await r.text()
            csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and r.headers["X-Frame-Options"] == "DENY"
        assert '<html lang="vi">' in html and "Gửi phản ánh" in html and "Tra cứu phản ánh" in html
        assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from another host
        async with http.get("/?lang=en") as r:
            english = await r.text()
        assert '<html lang="en">' in english and "Report a problem" in english and "Gửi phản ánh" not in english
        async with http.get("/") as r:  # the choice is remembered on this browser
            assert "Report a problem" in await r.text()
        async with http.get("/static/vendor/chart-4.6.1.umd.min.js") as r:
            assert r.status == 200  # the charts' library, served by the portal itself
        async with http.get("/healthz") as r:
            assert (await r.json()) == {"ok": True}


def test_the_front_page_on_a_phone_and_a_desktop(tmp_path):
    portal = ThreadedPortal(tmp_path)
    try:
        with browser() as b:
            for width, height in ((390, 844), (1280, 900)):
                p = page(b, width=width, height=height)
                p.goto(portal.served.base + "/")
                p.wait_for_selector("#go-report")
                assert too_wide(p) == []
                shot(p, f"portal-home-{width}")
                p.click("#lang")
                p.wait_for_selector("html[lang='en']")
                shot(p, f"portal-home-{width}-en")
                assert p.errors == []
    finally:
        portal.close()


async def test_a_wrong_address_gets_a_page_in_the_readers_language(tmp_path):
    async with ServedPortal(tmp_path) as served:
        http = served.client()
        async with http.get("/khong-co") as r:
            assert r.status == 404 and "Trang này không tồn tại." in await r.text()
        async with http.get("/khong-co?lang=en") as r:
            assert r.status == 404 and "This page does not exist." in await r.text()
        async with http.get("/open311/v2/requests/1022-000000-0000.json") as r:  # Open311 keeps its own body
            assert r.status == 404 and (await r.json())[0]["code"] == 404
