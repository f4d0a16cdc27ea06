"""The agent desk follows the call (Chromium, real Asterisk, SIPp citizens and phones): the pop
reaches the agent on any page, unsaved text survives the next call's pop, Ctrl+Enter saves, the
site's required entry is enforced, the outcome comes before Ready, and hold and a blind transfer
to another agent work (AMI shows them) and are ticket events."""
from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import store
from db.models import Audit, Call, Ticket
from tests.conftest import EngineProcess
from tests.harness import sipp
from tests.harness.browser import browser, login, page, shot
from tests.harness.cli import cli
from tests.harness.console import PASSWORD
from tests.harness.site import variant


def _ticket(db, caller: str) -> Ticket | None:
    with Session(db) as s:
        return s.scalar(select(Ticket).join(Call).where(Call.caller_number == caller, Ticket.kind.is_not(None))
                        .order_by(Ticket.id.desc()))


def _citizen(workdir, caller: str, talk_ms: int):
    """A citizen reporting a fallen tree (2, 4), talking `talk_ms`, then hanging up."""
    return sipp.write_citizen(workdir, [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"),
                                        ("pause", talk_ms)], end="bye", caller=caller, name=f"citizen-{caller}")


def _engine_needing_outcomes(real_pbx, tmp_path) -> EngineProcess:
    site_file = variant(real_pbx.site, tmp_path / "desk-site.toml", desk={"outcome_required": True})
    engine = EngineProcess(real_pbx.site, tmp_path / "engine.log", site_file=site_file)
    try:
        engine.wait_log("ACD picture synced")
        engine.wait_log("console on http://")
    except AssertionError:
        engine.stop()  # the test's own cleanup has not begun yet: stop it here
        raise
    return engine


def _add_user(site, user: str, role: str, ext: str) -> None:
    cli(site, "users", "add", user, "--role", role, "--extension", ext, "--password-stdin", stdin=PASSWORD + "\n",
        check=False)  # the session's database may have them already


def test_the_desk_keeps_unsaved_text_and_asks_for_the_outcome(real_pbx, workdir, tmp_path, ami):
    site = real_pbx.site
    base = f"http://127.0.0.1:{site.ports.web}"
    engine = _engine_needing_outcomes(real_pbx, tmp_path)
    _add_user(site, "thu", "agent", "105")
    db = store.connect(site.paths.database_url)
    phone = sipp.AgentPhone(workdir, site.ports.sip, "agent105", real_pbx.secrets["agent105"], answer_after=500)
    real_pbx.wait_reachable("agent105")
    calls: list = []
    try:
        with browser() as b:
            desk, other = page(b), page(b)
            login(desk, base, "thu", PASSWORD)
            login(other, base, "thu", PASSWORD)
            other.goto(f"{base}/tickets")
            desk.click("#ready")
            desk.wait_for_selector("#state[data-state='ready']")

            first = _citizen(workdir, "0911000001", 30000)
            threading.Thread(target=lambda: calls.append(sipp.call(site.ports.sip, first, timeout=120))).start()
            desk.wait_for_selector("#pop:not([hidden])", timeout=40000)
            # 1. the pop reaches the agent's other tab (the Tickets page) as a banner
            other.wait_for_selector("#call-banner:not([hidden])")
            assert "0911000001" in other.inner_text("#call-banner")
            shot(other, "desk-01-banner-on-tickets")
            assert desk.evaluate("document.activeElement.id") == "t-summary"  # focus goes to the summary
            code1 = desk.inner_text("#pop-code")
            assert desk.inner_text("#pop-path") == "Menu chính → 2 Phản ánh sự cố → 4 Cây xanh"
            # 4. a report needs its area: refused, the missing field named
            desk.fill("#t-summary", "Cây đổ chắn đường")
            desk.fill("#t-address", "12 Lê Duẩn")
            desk.keyboard.press("Control+Enter")
            desk.wait_for_selector("#missing:not([hidden])")
            assert "Phường / khu vực" in desk.inner_text("#missing")
            assert store.get_ticket(db, code1).summary is None  # nothing was written
            shot(desk, "desk-02-area-missing")
            # 3. Ctrl+Enter saves, once the area (and the outcome) are chosen
            desk.select_option("#t-area", "hai_chau")
            desk.select_option("#t-outcome", "report_taken")
            desk.keyboard.press("Control+Enter")
            desk.wait_for_selector(f"#flash.ok >> text={code1}")
            saved = store.get_ticket(db, code1)
            assert (saved.summary, saved.address, saved.area, saved.outcome) == (
                "Cây đổ chắn đường", "12 Lê Duẩn", "hai_chau", "report_taken")
            # 2. text typed for call 1, not saved yet, survives the pop of call 2
            desk.fill("#t-summary", "Vỡ ống nước")
            ami.wait_event("AgentComplete", MemberName="105", timeout=60)
            desk.wait_for_selector("#state[data-state='ready']", timeout=30000)  # free again after wrap-up
            second = _citizen(workdir, "0911000002", 8000)
            before_second = ami.mark()  # the waits below are for call 2's frames, not call 1's
            threading.Thread(target=lambda: calls.append(sipp.call(site.ports.sip, second, timeout=120))).start()
            desk.wait_for_selector("#stack:not([hidden])", timeout=40000)
            assert desk.input_value("#t-summary") == "Vỡ ống nước"
            assert desk.inner_text("#pop-code") == code1
            shot(desk, "desk-03-second-call-waits")
            desk.on("dialog", lambda d: d.accept())  # "discard what is not saved?": yes, explicitly
            desk.click("#dismiss")
            desk.wait_for_function(f"document.getElementById('pop-code').textContent !== '{code1}'")
            code2 = desk.inner_text("#pop-code")
            # 5. the call ends without an outcome: the agent is held in after-call work, Ready is refused
            ami.wait_event("AgentComplete", MemberName="105", timeout=60, after=before_second)
            ami.wait_event("QueueMemberPause", MemberName="105", Paused="1", timeout=20, after=before_second)
            desk.wait_for_selector("#state[data-state='paused']")
            desk.click("#ready")
            desk.wait_for_selector("#flash.error")
            assert code2 in desk.inner_text("#flash")
            assert desk.get_attribute("#state", "data-state") == "paused"
            shot(desk, "desk-04-outcome-first")
            desk.select_option("#t-area", "son_tra")
            desk.fill("#t-address", "3 Ngô Quyền")
            desk.fill("#t-summary", "Cây nghiêng")
            desk.select_option("#t-outcome", "answered")
            desk.click("#save")
            desk.wait_for_selector(f"#flash.ok >> text={code2}")
            desk.click("#ready")
            desk.wait_for_selector("#state[data-state='ready'], #flash.error", timeout=30000)
            shot(desk, "desk-05-ready-again")
            assert desk.get_attribute("#state", "data-state") == "ready", desk.inner_text("#flash")
            assert store.get_ticket(db, code2).outcome == "answered"
            # the report stays open for the agency after its call (the site's status after a call)
            assert store.get_ticket(db, code1).status == "open"
            assert desk.errors == ["Failed to load resource: the server responded with a status of 409 (Conflict)"]
            assert other.errors == [], other.errors  # (the one 409 above is the refused Ready)
    finally:
        phone.stop()
        cli(site, "agents", "logout", "105", check=False)
        engine.stop()
        db.dispose()
    assert all(c.successful == 1 and not c.failed for c in calls), [str(c) for c in calls]


def test_hold_and_blind_transfer_to_another_agent(real_pbx, workdir, tmp_path, ami):
    site = real_pbx.site
    base = f"http://127.0.0.1:{site.ports.web}"
    engine = _engine_needing_outcomes(real_pbx, tmp_path)
    _add_user(site, "son", "agent", "106")
    db = store.connect(site.paths.database_url)
    first = sipp.AgentPhone(workdir, site.ports.sip, "agent106", real_pbx.secrets["agent106"], answer_after=500)
    second = sipp.AgentPhone(workdir, site.ports.sip, "agent102", real_pbx.secrets["agent102"], answer_after=500)
    real_pbx.wait_reachable("agent106")
    real_pbx.wait_reachable("agent102")
    cli(site, "agents", "login", "102")
    cli(site, "agents", "pause", "102", "--reason", "break")  # logged in, but the queue rings only 106
    calls: list = []
    try:
        with browser() as b:
            desk = page(b)
            login(desk, base, "son", PASSWORD)
            desk.click("#ready")
            desk.wait_for_selector("#state[data-state='ready']")
            citizen = _citizen(workdir, "0911000003", 40000)
            threading.Thread(target=lambda: calls.append(sipp.call(site.ports.sip, citizen, timeout=120))).start()
            desk.wait_for_selector("#pop:not([hidden])", timeout=40000)
            code = desk.inner_text("#pop-code")
            desk.click("#hold")
            desk.wait_for_selector("#resume:not([hidden])")
            # AMI shows the hold: the caller's channel runs MusicOnHold (the engine's event stream filters
            # out MusicOnHoldStart for volume, so the test asks Asterisk for its channels)
            ami.send("CoreShowChannels", ActionID="held")
            moh = ami.wait(lambda f: f.get("Event") == "CoreShowChannel" and f.get("ActionID") == "held"
                           and f.get("Application") == "MusicOnHold", 20)
            assert moh["CallerIDNum"] == "0911000003"
            desk.click("#resume")
            desk.wait_for_selector("#hold:not([hidden])")
            ami.send("CoreShowChannels", ActionID="resumed")
            ami.wait(lambda f: f.get("Event") == "CoreShowChannelsComplete" and f.get("ActionID") == "resumed")
            listed = ami.events("CoreShowChannel", ActionID="resumed")
            assert not [f for f in listed if f.get("Application") == "MusicOnHold"], listed
            desk.select_option("#transfer-target", "agent:102")
            desk.click("#transfer-go")
            desk.wait_for_selector("#flash.ok >> text=102")
            ami.wait(lambda f: f.get("Event") == "DialEnd" and f.get("DestChannel", "").startswith("PJSIP/agent102-")
                     and f.get("DialStatus") == "ANSWER", 30)
            shot(desk, "desk-05-transferred")
            with Session(db) as s:
                kinds = [e.kind for e in s.scalar(select(Ticket).where(Ticket.code == code)).events]
                audits = s.scalars(select(Audit.action).where(Audit.actor == "son")).all()
            assert {"hold", "resume", "transfer"} <= set(kinds), kinds
            assert {"hold", "resume", "transfer"} <= set(audits), audits
            assert desk.errors == [], desk.errors
    finally:
        first.stop()
        second.stop()
        cli(site, "agents", "logout", "106", check=False)
        cli(site, "agents", "logout", "102", check=False)
        engine.stop()
        db.dispose()
