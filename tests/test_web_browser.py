"""The console in a real browser (Debian's headless Chromium via Playwright), on the real
Asterisk with SIPp citizens and phones: screen-pop, ticket edit, wallboard, listen. Each page
is saved as a screenshot under test-artifacts/screenshots/."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import store
from db.models import Audit, Call, Callback, Ticket
from tests.harness import sipp
from tests.harness.browser import browser, login, page, shot
from tests.harness.cli import cli
from tests.harness.console import PASSWORD, add_ticket
from tests.harness.tickets import seed_callback, wait_closed

CALLER = "0912345678"


def _ticket_of(db, caller: str) -> Ticket | None:
    with Session(db) as s:
        return s.scalar(select(Ticket).join(Call).where(Call.caller_number == caller, Ticket.kind.is_not(None))
                        .order_by(Ticket.id.desc()))


def test_agent_gets_the_screen_pop_and_a_supervisor_listens(real_pbx, engine, workdir, ami):
    site = real_pbx.site
    base = f"http://127.0.0.1:{site.ports.web}"
    engine.wait_log("ACD picture synced")
    engine.wait_log("console on http://")
    for user, role, ext in (("lan", "agent", "101"), ("hoa", "supervisor", "201")):
        cli(site, "users", "add", user, "--role", role, "--extension", ext, "--password-stdin", stdin=PASSWORD + "\n",
            check=False)  # the session's database may have them from an earlier run of this test
    db = store.connect(site.paths.database_url)
    add_ticket(db, site.paths.recordings, "1022-EARLIER-0001", None, number=CALLER, field="lighting")
    agent_phone = sipp.AgentPhone(workdir, site.ports.sip, "agent101", real_pbx.secrets["agent101"],
                                  answer_after=800, hangup_after=20000)
    sup_phone = sipp.AgentPhone(workdir, site.ports.sip, "supervisor201", real_pbx.secrets["supervisor201"],
                                answer_after=300, hangup_after=3000)
    real_pbx.wait_reachable("agent101")
    real_pbx.wait_reachable("supervisor201")
    citizen = sipp.write_citizen(workdir, [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4")],
                                 end="wait_bye", caller=CALLER, bye_timeout=90000)
    result: list = []
    try:
        with browser() as b:
            agent = page(b)
            agent.goto(f"{base}/agent")
            shot(agent, "01-login")
            login(agent, base, "lan", PASSWORD)
            assert agent.url.endswith("/agent")
            agent.click("#ready")
            agent.wait_for_selector("#state[data-state='ready']")
            shot(agent, "02-agent-ready")

            threading.Thread(target=lambda: result.append(sipp.call(site.ports.sip, citizen, timeout=120))).start()
            ami.wait_event("AgentConnect", timeout=60, MemberName="101")
            seen = time.monotonic()
            agent.wait_for_selector("#pop:not([hidden])")
            print(f"screen-pop shown {time.monotonic() - seen:.2f} s after the test saw AgentConnect")
            ticket = _ticket_of(db, CALLER)
            assert ticket is not None
            assert agent.inner_text("#pop-code") == ticket.code
            assert agent.inner_text("#pop-caller") == CALLER
            assert agent.inner_text("#pop-queue") == "Sự cố"
            assert agent.inner_text("#pop-path") == "Menu chính → 2 Phản ánh sự cố → 4 Cây xanh"
            assert agent.input_value("#t-field") == "trees"
            assert "1022-EARLIER-0001" in agent.inner_text("#pop-earlier")
            shot(agent, "03-screen-pop")

            agent.fill("#t-summary", "Cây đổ chắn đường Lê Duẩn, cần cắt dọn")
            agent.fill("#t-address", "45 Lê Duẩn")
            agent.select_option("#t-area", "hai_chau")
            agent.select_option("#t-priority", "2")
            agent.fill("#t-note", "Người dân đang chờ tại chỗ")
            agent.click("#save")
            agent.wait_for_selector(f"#flash.ok >> text={ticket.code}")
            saved = store.get_ticket(db, ticket.code)
            # the status is kept unless the agent changes it: still in the call
            assert (saved.summary, saved.priority, saved.status, saved.area) == (
                "Cây đổ chắn đường Lê Duẩn, cần cắt dọn", 2, "in_call", "hai_chau")
            assert [e.kind for e in saved.events if e.kind in ("edit", "note")] == ["edit", "note"]

            sup = page(b)
            login(sup, base, "hoa", PASSWORD)
            assert sup.url.endswith("/wallboard")
            sup.wait_for_selector("#agent-101[data-state='talking']")
            assert "Đang nói chuyện" in sup.inner_text("#agent-101")
            assert ticket.code in sup.inner_text("#agent-101")
            shot(sup, "04-wallboard")
            sup.click("#listen-101")
            sup.wait_for_selector("#flash.ok >> text=supervisor201")
            spy = ami.wait_event("ChanSpyStart", timeout=20)
            assert spy["SpyerChannel"].startswith("PJSIP/supervisor201-")
            assert spy["SpyeeChannel"].startswith("PJSIP/agent101-")
            with Session(db) as s:
                audit = s.scalars(select(Audit).where(Audit.action == "listen", Audit.actor == "supervisor201")
                                  .order_by(Audit.id.desc())).first()
            assert audit.target == "101" and '"user": "hoa"' in audit.detail

            agent.select_option("#pause-reason", "lunch")  # as *13 2 on the phone
            agent.click("#pause")
            ami.wait_event("QueueMemberPause", MemberName="101", Paused="1")
            # a pause asked for during a call takes effect when the call ends (no wrap-up then)
            ami.wait_event("AgentComplete", MemberName="101", timeout=40)
            sup.wait_for_selector("#agent-101[data-state='paused'] >> text=Nghỉ trưa")
            agent.wait_for_selector("#state[data-state='paused']")
            # after the call a report stays open for the agency (the site's status after a call),
            # once the ticket writer has written the call's end
            [after] = wait_closed(real_pbx.site, CALLER, until=lambda t: t["code"] == ticket.code)
            assert after["status"] == "open"

            admin = page(b)
            login(admin, base, "admin", real_pbx.secrets["console_admin"])
            admin.goto(f"{base}/tickets")
            admin.wait_for_selector(f"#results >> text={ticket.code}")
            shot(admin, "05-tickets")
            admin.goto(f"{base}/tickets/{ticket.code}")
            admin.wait_for_selector("#timeline tbody tr time")
            assert "Cây đổ chắn đường" in admin.inner_text("#facts")
            assert "Khách gác máy" in admin.inner_text("#timeline") or "gác máy" in admin.inner_text("#timeline")
            # the timeline's times are the call's local times (Asia/Ho_Chi_Minh), to the second
            shown = admin.eval_on_selector_all("#timeline tbody tr", "rows => rows.map(r => [r.querySelector('time')"
                                               ".getAttribute('datetime'), r.querySelector('time').textContent])")
            with Session(db) as s:
                stored = [e.at for e in s.scalar(select(Ticket).where(Ticket.code == ticket.code)).events]
            assert len(shown) == len(stored)
            for (_iso, text), at in zip(shown, stored, strict=True):
                local = datetime.strptime(text, "%d/%m/%Y %H:%M:%S").replace(tzinfo=ZoneInfo(site.timezone))
                assert abs((local - at.replace(tzinfo=UTC)).total_seconds()) <= 2, (text, at)
            shot(admin, "06-ticket")
            admin.goto(f"{base}/callbacks")
            admin.wait_for_selector("#callbacks")
            shot(admin, "07-callbacks")
            admin.goto(f"{base}/reports")
            admin.wait_for_selector("#fields >> text=Cây xanh")
            shot(admin, "08-reports")
            for p in (agent, sup, admin):
                assert p.errors == [], p.errors
    finally:
        agent_phone.stop()
        sup_phone.stop()
        cli(site, "agents", "logout", "101", check=False)
        db.dispose()


def test_callback_worker_claims_and_dials_from_the_page(real_pbx, engine, workdir):
    site = real_pbx.site
    base = f"http://127.0.0.1:{site.ports.web}"
    engine.wait_log("console on http://")
    cli(site, "users", "add", "mai", "--role", "callback", "--extension", "104", "--password-stdin",
        stdin=PASSWORD + "\n", check=False)
    cb_id = seed_callback(site, "0905777888")
    worker = sipp.AgentPhone(workdir, site.ports.sip, "agent104", real_pbx.secrets["agent104"], answer_after=300)
    citizen = sipp.Phone(workdir / "citizen", "0905777888", port=site.trunk.port, answer_after=300, hangup_after=2000)
    real_pbx.wait_reachable("agent104")
    db = store.connect(site.paths.database_url)
    try:
        with browser() as b:
            p = page(b)
            login(p, base, "mai", PASSWORD)
            assert p.url.endswith("/callbacks")
            p.click(f"#claim-{cb_id}")
            p.wait_for_selector(f"#dial-{cb_id}")
            shot(p, "09-callback-claimed")
            p.click(f"#dial-{cb_id}")
            p.wait_for_selector("#flash.ok >> text=đổ chuông trước")
            deadline = time.monotonic() + 40
            while store_state(db, cb_id) != ("done", "reached") and time.monotonic() < deadline:
                time.sleep(0.5)
            assert store_state(db, cb_id) == ("done", "reached")
            p.reload()
            p.wait_for_selector("body[data-loaded]", state="attached")
            assert f"claim-{cb_id}" not in p.content() and f"dial-{cb_id}" not in p.content()
    finally:
        worker.stop()
        citizen.stop()
        db.dispose()
    assert citizen.answered() == 1


def store_state(db, cb_id: int) -> tuple[str, str | None]:
    with Session(db) as s:
        cb = s.get(Callback, cb_id)
        return cb.state, cb.outcome
