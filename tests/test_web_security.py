"""The console holes a red team found, each a test: open redirect, racing login limits, `earlier`
leaking summaries, 500s on hostile input, missing headers on errors, the Secure flag behind TLS."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import Ticket
from tests.harness.console import PASSWORD, ServedConsole, add_ticket
from web.login import safe_next

BYPASSES = ["/\\example.com", "/%5Cevil.example", "/%09/evil.example", "//evil.example", "https://evil.example/",
            "/%2F%2Fevil.example", "\\\\evil.example", "/\t/evil.example", "%2F%2Fevil.example", "javascript:alert(1)",
            "/%0d%0aLocation:%20http://evil.example", "/login?next=//evil.example", "http:/evil.example"]


@pytest.fixture
async def served(tmp_path):
    async with ServedConsole(tmp_path) as s:
        yield s


@pytest.mark.parametrize("target", BYPASSES)
def test_next_refuses_other_hosts(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/tickets", "/tickets/1022-261125-0001", "/reports?from=2026-11-01"])
def test_next_keeps_same_origin_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", BYPASSES[:4])
async def test_open_redirect_variants_land_on_the_root(served, target):
    cl = served.client()
    token = await cl.login_token()
    async with cl.http.post(f"{cl.base}/login", data={"username": "lan", "password": PASSWORD, "csrf": token,
                                                      "next": target}, allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/", r.headers["Location"]


async def test_a_burst_of_wrong_logins_counts_in_full(served):
    cl = served.client()
    token = await cl.login_token()

    async def wrong():
        async with cl.http.post(f"{cl.base}/login", json={"username": "lan", "password": "wrong-password",
                                                          "csrf": token}) as r:
            return r.status

    statuses = await asyncio.gather(*(wrong() for _ in range(20)))
    assert statuses.count(401) <= 5 and statuses.count(429) >= 15, statuses


async def test_the_real_user_elsewhere_is_not_locked_out_by_a_stranger(served):
    """Wrong passwords for lan from one address; lan herself logs in from another address."""
    for _ in range(5):
        served.console.limiter.reserve(("ip:10.9.9.9", 5), ("user:lan@10.9.9.9", 5), ("user:lan", 20))
    cl = served.client()
    r = await cl.login("lan")
    assert r.status == 200, await r.text()


async def test_earlier_tickets_carry_no_summary_of_another_agents_ticket(served):
    db, recordings = served.db, served.site.paths.recordings
    add_ticket(db, recordings, "1022-261125-0001", "101")
    add_ticket(db, recordings, "1022-261125-0002", "102")  # same caller, answered by agent 102
    with Session(db) as s, s.begin():
        s.execute(update(Ticket).where(Ticket.code == "1022-261125-0002").values(summary="private matter of 102"))
    cl = await served.logged_in("lan")
    for path in ("/api/tickets/1022-261125-0001", "/api/tickets/1022-261125-0001/export"):
        async with cl.request("GET", path) as r:
            text = await r.text()
            assert r.status == 200 and "private matter" not in text, text
    async with cl.request("GET", "/api/tickets/1022-261125-0001") as r:
        [earlier] = (await r.json())["earlier"]
    assert earlier["code"] == "1022-261125-0002" and "summary" not in earlier
    sup = await served.logged_in("hoa")
    async with sup.request("GET", "/api/tickets/1022-261125-0001") as r:
        assert (await r.json())["earlier"][0]["summary"] == "private matter of 102"


async def test_hostile_input_gets_400_not_500(served):
    cl = served.client()
    token = await cl.login_token()

    async def chunks():
        yield b'{"username": "lan", "csrf": "' + token.encode() + b'", "password": '
        yield b"9" * 5000 + b"}"

    async with cl.http.post(f"{cl.base}/login", data=chunks(), headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400, await r.text()

    async def big():
        for _ in range(10):
            yield b" " * 1000
            yield b" " * 1000

    async with cl.http.post(f"{cl.base}/login", data=big(), headers={"Content-Type": "application/json"}) as r:
        assert r.status == 413  # chunked, over the login body limit

    agent = await served.logged_in("lan")
    for method, path in (("POST", "/api/callbacks/99999999999999999999999/claim"),
                         ("GET", "/api/recordings/99999999999999999999999/audio"),
                         ("GET", "/api/recordings/-1/audio"), ("GET", "/api/tickets?limit=-1"),
                         ("GET", "/api/tickets?limit=ten")):
        user = agent if "callbacks" not in path else await served.logged_in("mai")
        async with user.request(method, path) as r:
            assert r.status == 400, (path, r.status, await r.text())
    async with agent.request("GET", "/api/tickets?limit=99999999") as r:
        assert r.status == 200  # clamped to 1000


async def test_errors_and_redirects_carry_the_security_headers(served):
    cl = served.client()
    for path, status in (("/no-such-page", 302), ("/agent", 302), ("/static/no-such.css", 404)):
        async with cl.request("GET", path) as r:
            assert r.status == status, path
            assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
            assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    agent = await served.logged_in("lan")
    async with agent.request("GET", "/api/no-such-thing") as r:
        assert r.status == 404 and r.headers["X-Frame-Options"] == "DENY"
    async with agent.request("GET", "/tickets") as r:
        assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("proxied", [False, True])
async def test_secure_cookie_behind_a_tls_proxy(tmp_path, proxied):
    """A browser talks TLS to the proxy, which forwards plain HTTP from 127.0.0.1 with X-Forwarded-Proto."""
    async with ServedConsole(tmp_path, web={"behind_tls_proxy": proxied}) as s:
        cl = s.client()
        async with cl.http.get(f"{cl.base}/login", headers={"X-Forwarded-Proto": "https"}) as r:
            pre = r.cookies["td_login"]
            assert bool(pre["secure"]) is proxied
        async with cl.http.post(f"{cl.base}/login", data={"username": "lan", "password": PASSWORD, "csrf": pre.value},
                                headers={"X-Forwarded-Proto": "https", "Cookie": f"td_login={pre.value}"},
                                allow_redirects=False) as r:
            assert r.status == 302, await r.text()
            assert bool(r.cookies["td_session"]["secure"]) is proxied


async def test_ticket_times_carry_their_zone(served):
    """The database keeps naive UTC; the API says so (a browser would read them as its local time)."""
    add_ticket(served.db, served.site.paths.recordings, "1022-261125-0001", "101")
    cl = await served.logged_in("lan")
    async with cl.request("GET", "/api/tickets/1022-261125-0001") as r:
        t = await r.json()
    assert t["created_at"].endswith("Z") and t["closed_at"].endswith("Z")
    assert all(e["at"].endswith("Z") for e in t["events"]) and t["events"]


async def test_people_get_friendly_pages_for_403_and_404_and_the_api_keeps_json(served):
    leader = await served.logged_in("tuan")
    async with leader.request("GET", "/agent") as r:
        page = await r.text()
        assert r.status == 403 and r.content_type == "text/html"
        assert "Không có quyền" in page and "Not allowed" not in page and '<a href="/">' in page  # one language
        assert r.headers["X-Frame-Options"] == "DENY"
    async with leader.request("POST", "/lang", data={"lang": "en", "next": "/agent", "csrf": leader.csrf}) as r:
        assert r.status == 303 and r.headers["Location"] == "/agent"
    async with leader.request("GET", "/agent") as r:  # the leader's choice is kept: English from now on
        page = await r.text()
        assert r.status == 403 and "Not allowed" in page and "Không có quyền" not in page and 'lang="en"' in page
    async with leader.request("GET", "/no-such-page") as r:
        assert r.status == 404 and "Not found" in await r.text()
    async with leader.request("PATCH", "/api/tickets/1022-261125-0001", json={"priority": 1}) as r:
        assert r.status == 403 and r.content_type == "application/json"
    async with leader.request("POST", "/logout", data={"csrf": leader.csrf}) as r:
        assert r.status == 302
    assert (await leader.login("hoa")).status == 200  # the next person on this browser: their own language
    async with leader.request("GET", "/wallboard") as r:
        assert 'lang="vi"' in await r.text()


async def test_a_missing_or_foreign_ticket_page_is_an_error_page_not_an_edit_form(served):
    add_ticket(served.db, served.site.paths.recordings, "1022-261125-0002", "102")
    agent = await served.logged_in("lan")
    async with agent.request("GET", "/tickets/1022-999999-0000") as r:
        page = await r.text()
        assert r.status == 404 and "Không tìm thấy" in page and 'id="t-summary"' not in page
    async with agent.request("GET", "/tickets/1022-261125-0002") as r:
        assert r.status == 403 and "Không có quyền" in await r.text()
