"""Web administration on the real aiohttp app (no Asterisk): users, agents and skills, pause
reasons, each change audited, refusals in words; the page in Chromium at desk and phone widths."""
from __future__ import annotations

import asyncio
import json
from contextlib import contextmanager

import pytest

from acd.desk import pause_reason_keys
from config.agency_settings import AgencyData
from db.queries import agencies
from db.queries import agents as agent_books
from db.queries import audit
from tests.harness.browser import browser, login, page, shot
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole
from tests.test_phones import desk  # noqa: F401  (the phones' fixture: *13N against the reason rows)
from web import accounts
from web.admin import ADMIN_ACTIONS


def _admin(db) -> None:
    accounts.add_user(db, "quantri", "admin", PASSWORD, name="Quản trị viên")


@pytest.fixture
async def served(tmp_path):
    async with ServedConsole(tmp_path) as s:
        _admin(s.db)
        yield s


def _actions(db) -> list[tuple[str, str, str | None]]:
    return [(r.actor, r.action, r.target) for r in reversed(audit.recent(db, ADMIN_ACTIONS))]


async def _call(cl, method: str, path: str, data=None) -> tuple[int, dict]:
    async with cl.request(method, path, json=data) as r:
        return r.status, await r.json()


async def test_only_admins_may_administer(served):
    cl = await served.logged_in("hoa")  # a supervisor
    for method, path in (("GET", "/api/admin/users"), ("POST", "/api/admin/users"),
                         ("PATCH", "/api/admin/users/lan"), ("POST", "/api/admin/users/lan/password"),
                         ("GET", "/api/admin/agents"), ("POST", "/api/admin/agents"),
                         ("PATCH", "/api/admin/agents/101"), ("GET", "/api/admin/pause-reasons"),
                         ("POST", "/api/admin/pause-reasons"), ("PATCH", "/api/admin/pause-reasons/1"),
                         ("GET", "/api/admin/audit")):
        status, _ = await _call(cl, method, path, {"disabled": True} if method != "GET" else None)
        assert status == 403, (method, path)
    async with cl.request("GET", "/admin") as r:
        assert r.status == 403
    assert _actions(served.db) == []
    assert accounts.authenticate(served.db, "lan", PASSWORD) is not None


async def test_users_add_change_disable_and_reset_password_each_audited(served):
    db, admin = served.db, await served.logged_in("quantri")
    status, made = await _call(admin, "POST", "/api/admin/users", {"username": "nam", "name": "Trần Văn Nam",
                                                                   "role": "agent", "extension": "107",
                                                                   "password": "nam-password-1022"})
    assert status == 201 and (made["role"], made["extension"]) == ("agent", "107")
    nam = served.client()
    assert (await nam.login("nam", "nam-password-1022")).status == 200

    status, after = await _call(admin, "PATCH", "/api/admin/users/nam", {"role": "supervisor", "extension": "202",
                                                                         "name": "Trần  Văn Nam "})
    assert status == 200 and (after["role"], after["extension"], after["name"]) == ("supervisor", "202", "Trần Văn Nam")
    status, after = await _call(admin, "PATCH", "/api/admin/users/nam", {"name": "Trần Nam"})
    assert status == 200 and after["name"] == "Trần Nam"

    status, after = await _call(admin, "PATCH", "/api/admin/users/nam", {"disabled": True})
    assert status == 200 and after["disabled"] is True
    async with nam.request("GET", "/api/tickets") as r:
        assert r.status == 401  # a disabled account's login ended
    assert accounts.authenticate(db, "nam", "nam-password-1022") is None
    _, listing = await _call(admin, "GET", "/api/admin/users")
    assert {u["username"]: u["disabled"] for u in listing["users"]}["nam"] is True
    status, _ = await _call(admin, "PATCH", "/api/admin/users/nam", {"disabled": False})
    assert status == 200 and accounts.authenticate(db, "nam", "nam-password-1022") is not None

    assert (await nam.login("nam", "nam-password-1022")).status == 200
    status, _ = await _call(admin, "POST", "/api/admin/users/nam/password", {"password": "another-pass-1022"})
    assert status == 200
    async with nam.request("GET", "/api/tickets") as r:
        assert r.status == 401  # the new password ended their sessions
    assert accounts.authenticate(db, "nam", "nam-password-1022") is None
    assert accounts.authenticate(db, "nam", "another-pass-1022") is not None

    assert _actions(db) == [("quantri", "user_add", "nam"), ("quantri", "user_role", "nam"),  # same name: no row
                            ("quantri", "user_name", "nam"),
                            ("quantri", "user_disable", "nam"), ("quantri", "user_enable", "nam"),
                            ("quantri", "password_reset", "nam")]
    rows = {r.action: r.detail for r in audit.recent(db, ADMIN_ACTIONS)}
    assert rows["user_role"] == {"role": ["agent", "supervisor"], "extension": ["107", "202"]}
    assert "password" not in json.dumps([r.detail for r in audit.recent(db, ADMIN_ACTIONS)])
    _, shown = await _call(admin, "GET", "/api/admin/audit")
    assert [r["action"] for r in shown["audit"]][0] == "password_reset" and shown["audit"][0]["at"].endswith("Z")


async def test_refusals_say_why(served):
    db, admin = served.db, await served.logged_in("quantri")
    cases = [
        ("PATCH", "/api/admin/users/quantri", {"disabled": True}, "self_disable"),
        ("PATCH", "/api/admin/users/quantri", {"role": "leader"}, "last_admin"),
        ("PATCH", "/api/admin/users/tuan", {"role": "agent"}, "extension_needed"),
        ("PATCH", "/api/admin/users/lan", {"extension": ""}, "extension_needed"),
        ("PATCH", "/api/admin/users/lan", {"name": "   "}, "name_length"),
        ("PATCH", "/api/admin/users/nobody", {"name": "X"}, "no_user"),
        ("PATCH", "/api/admin/users/lan", {"disabled": "yes"}, "bad_value"),
        ("PATCH", "/api/admin/users/lan", {"owner": "x"}, "unknown_key"),
        ("POST", "/api/admin/users", {"username": "lan", "role": "leader", "password": "long-enough-1"},
         "username_taken"),
        ("POST", "/api/admin/users", {"username": "Bad Name", "role": "leader", "password": "long-enough-1"},
         "username_format"),
        ("POST", "/api/admin/users", {"username": "an", "role": "god", "password": "long-enough-1"}, "role_unknown"),
        ("POST", "/api/admin/users", {"username": "an", "role": "leader", "password": "short"}, "password_short"),
        ("POST", "/api/admin/users/lan/password", {"password": "short"}, "password_short"),
    ]
    for method, path, data, code in cases:
        status, answer = await _call(admin, method, path, data)
        assert status == 400 and answer["code"] == code and answer["error"], (path, data, answer)
    status, answer = await _call(admin, "POST", "/api/admin/users/lan/password", {"password": "short"})
    assert answer["n"] == accounts.MIN_PASSWORD
    assert _actions(db) == []

    # with a second admin, the first may step down; the last one may not
    await _call(admin, "POST", "/api/admin/users", {"username": "admin2", "role": "admin",
                                                    "password": "admin2-pass-1022"})
    status, _ = await _call(admin, "PATCH", "/api/admin/users/admin2", {"role": "leader"})
    assert status == 200
    status, answer = await _call(admin, "PATCH", "/api/admin/users/admin2", {"role": "admin"})
    assert status == 200
    other = served.client()
    assert (await other.login("admin2", "admin2-pass-1022")).status == 200
    status, _ = await _call(other, "PATCH", "/api/admin/users/quantri", {"disabled": True})
    assert status == 200
    status, answer = await _call(other, "PATCH", "/api/admin/users/admin2", {"role": "leader"})
    assert status == 400 and answer["code"] == "last_admin"


def _agency(db, key: str = "den_dn") -> None:
    agencies.add(db, AgencyData(key, "Công ty Chiếu sáng Đà Nẵng", "utility", ("lighting",), (), ()), "test")


async def test_an_agency_account_is_made_and_moved_from_the_admin_page(served):
    db, admin = served.db, await served.logged_in("quantri")
    await asyncio.to_thread(_agency, db)
    status, listing = await _call(admin, "GET", "/api/admin/users")
    assert {"key": "den_dn", "name": "Công ty Chiếu sáng Đà Nẵng"} in listing["agencies"]
    new = {"username": "den", "name": "Lê Thị Đèn", "role": "agency", "password": "den-password-1022"}
    status, refused = await _call(admin, "POST", "/api/admin/users", new)
    assert (status, refused["code"]) == (400, "agency_needed")
    status, refused = await _call(admin, "POST", "/api/admin/users", {**new, "agency": "khong_co"})
    assert (status, refused["code"]) == (400, "agency_unknown")
    assert accounts.authenticate(db, "den", "den-password-1022") is None  # nothing was written
    status, made = await _call(admin, "POST", "/api/admin/users", {**new, "agency": "den_dn"})
    assert (status, made["agency"]) == (201, "den_dn")
    status, refused = await _call(admin, "PATCH", "/api/admin/users/den", {"agency": "khong_co"})
    assert (status, refused["code"]) == (400, "agency_unknown")
    status, moved = await _call(admin, "PATCH", "/api/admin/users/den", {"role": "leader"})
    assert (status, moved["role"], moved["agency"]) == (200, "leader", None)  # the agency went with the role
    status, back = await _call(admin, "PATCH", "/api/admin/users/den", {"role": "agency", "agency": "den_dn"})
    assert status == 200 and accounts.authenticate(db, "den", "den-password-1022").agency == "den_dn"
    assert ("quantri", "user_role", "den") in _actions(db)


async def test_agents_added_renamed_and_skilled_each_audited(served):
    db, admin = served.db, await served.logged_in("quantri")
    queues = [q.name for q in served.site.queues]
    status, _ = await _call(admin, "POST", "/api/admin/agents", {"extension": "120", "name": "Nguyễn Thị Hà",
                                                                 "pin": "482915", "skills": {queues[0]: 0}})
    assert status == 201
    refusals = [({"extension": "121", "name": "X", "pin": "482915"}, "pin_taken"),
                ({"extension": "120", "name": "X", "pin": "111999"}, "agent_exists"),
                ({"extension": "1", "name": "X", "pin": "111999"}, "agent_extension"),
                ({"extension": "122", "name": "X", "pin": "12"}, "pin_format"),
                ({"extension": "122", "name": "", "pin": "111999"}, "name_length"),
                ({"extension": "122", "name": "X", "pin": "111999", "skills": {queues[0]: 12}}, "penalty_range"),
                ({"extension": "122", "name": "X", "pin": "111999", "skills": {"weather": 1}}, "queue_unknown")]
    for data, code in refusals:
        status, answer = await _call(admin, "POST", "/api/admin/agents", data)
        assert status == 400 and answer["code"] == code, (data, answer)

    status, changed = await _call(admin, "PATCH", "/api/admin/agents/120",
                                  {"name": "Nguyễn Thu Hà", "skills": {q: 2 for q in queues}})
    assert status == 200 and changed["at_next_login"] is False
    info = agent_books.find(db, extension="120")
    assert (info.name, info.skills) == ("Nguyễn Thu Hà", {q: 2 for q in queues})

    agent_books.update(db, "120", seat="PJSIP/agent103")  # logged in: the skills apply at the next login
    status, changed = await _call(admin, "PATCH", "/api/admin/agents/120", {"skills": {queues[-1]: 9}})
    assert status == 200 and changed["at_next_login"] is True
    status, answer = await _call(admin, "PATCH", "/api/admin/agents/999", {"name": "X"})
    assert status == 400 and answer["code"] == "no_agent"
    _, listing = await _call(admin, "GET", "/api/admin/agents")
    row = [a for a in listing["agents"] if a["extension"] == "120"][0]
    assert (row["seat"], row["skills"], listing["queues"]) == ("PJSIP/agent103", {queues[-1]: 9}, queues)

    assert _actions(db) == [("quantri", "agent_add", "120"), ("quantri", "agent_name", "120"),
                            ("quantri", "agent_skills", "120"), ("quantri", "agent_skills", "120")]
    details = [r.detail for r in audit.recent(db, ADMIN_ACTIONS)]
    assert details[0] == {"skills": [{q: 2 for q in queues}, {queues[-1]: 9}], "logged_in": True}
    assert "482915" not in json.dumps(details)


async def test_pause_reasons_added_renamed_disabled_and_the_names_refresh(served):
    db, admin = served.db, await served.logged_in("quantri")
    status, made = await _call(admin, "POST", "/api/admin/pause-reasons",
                               {"digit": "5", "vi": "Họp giao ban", "en": "Team meeting"})
    assert status == 201 and made["key"] == "team-meeting"
    async with admin.request("GET", "/i18n/vi.json") as r:
        assert (await r.json())["reason.team-meeting"] == "Họp giao ban"
    for data, code in (({"digit": "5", "vi": "A", "en": "B"}, "digit_taken"),
                       ({"digit": "0", "vi": "A", "en": "B"}, "digit_format"),
                       ({"digit": "6", "vi": "", "en": "B"}, "reason_name"),
                       ({"digit": "6", "vi": "A", "en": "Lunch"}, "key_taken")):
        status, answer = await _call(admin, "POST", "/api/admin/pause-reasons", data)
        assert status == 400 and answer["code"] == code, (data, answer)

    status, _ = await _call(admin, "PATCH", "/api/admin/pause-reasons/2", {"vi": "Ăn trưa"})
    assert status == 200
    async with admin.request("GET", "/i18n/vi.json") as r:
        assert (await r.json())["reason.lunch"] == "Ăn trưa"
    status, _ = await _call(admin, "PATCH", "/api/admin/pause-reasons/2", {"active": False})
    assert status == 200
    assert pause_reason_keys(db) == {"1": "break", "3": "training", "4": "after-call work", "5": "team-meeting"}
    status, answer = await _call(admin, "PATCH", "/api/admin/pause-reasons/8", {"vi": "X"})
    assert status == 400 and answer["code"] == "no_reason"
    _, listing = await _call(admin, "GET", "/api/admin/pause-reasons")
    assert [(r["digit"], r["active"]) for r in listing["reasons"]][:2] == [("1", True), ("2", False)]

    assert _actions(db) == [("quantri", "pause_reason", "5")] + [("quantri", "pause_reason", "2")] * 2
    assert audit.recent(db, ADMIN_ACTIONS)[0].detail == {"key": "lunch", "active": [True, False]}


async def test_phone_pause_codes_follow_the_reason_rows(desk):  # noqa: F811
    from config.secrets import load_or_create, site_secret_names
    from db.queries import pause_reasons
    pin = load_or_create(desk.site.paths.secrets, site_secret_names(desk.site))["pin101"]
    await desk("agent?code=11", keys=[pin])
    await asyncio.to_thread(pause_reasons.add_reason, desk.db, "6", "", "Họp giao ban", "Team meeting")
    await desk("agent?code=13&digits=6")
    assert (await desk.desk.agent("101")).pause_reason == "team-meeting"
    await asyncio.to_thread(pause_reasons.change_reason, desk.db, "2", active=False)
    await desk("agent?code=14")
    pbx = await desk("agent?code=13&digits=2")  # disabled: refused like an unknown code
    assert any("agent-error" in c for c in pbx.commands)
    assert (await desk.desk.agent("101")).paused is False


# ---- the page in Chromium ----

@contextmanager
def served_in_a_thread(tmp_path):
    """The console served from a thread (Playwright's sync API runs in this one)."""
    bg = ThreadedConsole(tmp_path)
    try:
        yield bg.served
    finally:
        bg.close()


def test_admin_adds_and_disables_a_user_in_the_browser(tmp_path):
    with served_in_a_thread(tmp_path) as served, browser() as b:
        _admin(served.db)
        _agency(served.db)
        p = page(b)
        p.on("dialog", lambda d: d.accept())
        login(p, served.base, "quantri", PASSWORD)
        p.goto(f"{served.base}/admin")
        p.wait_for_selector("#users tr[data-user='lan']")
        assert "Người dùng" in p.inner_text("#tab-users")
        assert "Tổng đài viên" in p.inner_text("#users tr[data-user='lan']")  # the role, translated
        p.fill("#ua-username", "nam")
        p.fill("#ua-name", "Trần Văn Nam")
        p.select_option("#ua-role", "agent")
        p.fill("#ua-password", "short")
        p.click("#ua-save")
        p.wait_for_selector("#ua-error:not([hidden])")
        assert "Vai trò Tổng đài viên cần số máy" in p.inner_text("#ua-error")
        p.fill("#ua-extension", "107")
        p.click("#ua-save")
        p.wait_for_selector("#ua-error:not([hidden]) >> text=ít nhất 10 ký tự")
        p.fill("#ua-password", "nam-password-1022")
        p.click("#ua-save")
        row = "#users tr[data-user='nam']"
        p.wait_for_selector(row)
        assert "Đang dùng" in p.inner_text(row) and "107" in p.inner_text(row)
        shot(p, "admin-01-user-added")
        p.click(f"{row} button.danger")
        p.wait_for_selector(f"{row} .state-off")
        assert "Đã khóa" in p.inner_text(row)
        assert accounts.authenticate(served.db, "nam", "nam-password-1022") is None
        assert "Mở khóa" in p.inner_text(row)
        # an agency's contact gets an account acting for that agency only
        assert p.is_hidden("#ua-agency-box")
        p.fill("#ua-username", "den")
        p.fill("#ua-name", "Lê Thị Đèn")
        p.select_option("#ua-role", "agency")
        p.wait_for_selector("#ua-agency-box:not([hidden])")
        p.select_option("#ua-agency", "den_dn")
        p.fill("#ua-password", "den-password-1022")
        p.click("#ua-save")
        p.wait_for_selector("#users tr[data-user='den']")
        assert "Công ty Chiếu sáng Đà Nẵng" in p.inner_text("#users tr[data-user='den']")
        assert accounts.authenticate(served.db, "den", "den-password-1022").agency == "den_dn"

        p.click("#tab-audit")
        p.wait_for_selector("#audit td >> text=Khóa tài khoản")
        assert "Thêm người dùng" in p.inner_text("#audit")
        p.click("#tab-agents")
        p.wait_for_selector("#aa-skills input[type=checkbox]")
        p.click("#tab-reasons")
        p.wait_for_selector("#reasons td >> text=*132")
        assert "Nghỉ trưa" in p.inner_text("#reasons")

        p.set_viewport_size({"width": 390, "height": 844})
        for tab in ("users", "agents", "reasons", "audit"):
            p.click(f"#tab-{tab}")
            p.wait_for_selector(f"#panel-{tab}:not([hidden])")
            width = p.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (tab, width)
            shot(p, f"admin-390-{tab}")
        assert [e for e in p.errors if "status of 400" not in e] == []  # the two refusals above are 400s
