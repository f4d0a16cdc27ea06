"""From call to resolution on the real PBX (issue 16, end to end): a SIPp citizen reports a broken
street light (2, 5); the agent, in Chromium, sets area, address and summary and forwards the ticket
to the suggested lighting agency; its contact gets an email (a real SMTP server, aiosmtpd) and an
SMS (a real Kannel), opens the one-time link in a fresh browser and answers with a PDF; a
supervisor approves; the callback worker claims the reply task and dials the citizen (SIPp
answers). The ticket is `resolved` at the approval and `closed` once the citizen is reached (as
agencies/forwarding.py defines), and its timeline tells each step in order with who and when."""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.secrets import load_or_create
from db import store
from db.models import Callback, Ticket
from tests.conftest import EngineProcess
from tests.harness import sipp
from tests.harness.browser import browser, login, page, shot
from tests.harness.cli import cli
from tests.harness.console import PASSWORD
from tests.harness.kannel import Kannel, KannelMissing
from tests.harness.site import variant
from tests.harness.smtp_sink import SmtpSink

CITIZEN = "0914222333"
AGENCY, AGENCY_NAME = "so_xay_dung", "Sở Xây dựng thành phố Đà Nẵng"  # lighting, any area (demo-agencies.toml)
CONTACT_MAIL, CONTACT_MOBILE = "hung.tv@soxaydung.example.vn", "0905110201"
ANSWER = "Đã thay bóng đèn đường trước số 20 Trần Phú, đèn sáng lại từ 18:00."
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def until(check, timeout: float, what: str):
    """Poll `check` until it returns something truthy; that value, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def _user(site, name: str, role: str, ext: str) -> None:
    cli(site, "users", "add", name, "--role", role, "--extension", ext, "--password-stdin", stdin=PASSWORD + "\n",
        check=False)  # the session's database may have them already


def _status(db, code: str) -> str:
    return store.get_ticket(db, code).status


def _callback(db, code: str) -> Callback | None:
    with Session(db) as s:
        return s.scalar(select(Callback).join(Ticket, Callback.ticket_id == Ticket.id).where(Ticket.code == code))


def test_a_street_light_report_goes_to_the_agency_and_back_to_the_citizen(real_pbx, workdir, tmp_path):
    site = real_pbx.site
    base = f"http://127.0.0.1:{site.ports.web}"
    password = load_or_create(site.paths.secrets, ["kannel_password"])["kannel_password"]
    try:
        kannel = Kannel(password=password)
    except KannelMissing as e:  # never a skip: the real gateway is part of the test
        pytest.fail(f"real Kannel required: {e}")
    sink = SmtpSink()
    engine = phones = None
    calls: list = []
    db = store.connect(site.paths.database_url)
    try:
        site_file = variant(site, tmp_path / "agency-site.toml",
                            mail={"host": "127.0.0.1", "port": sink.port, "sender": "tongdai1022@danang.gov.vn"},
                            sms={"kannel_url": kannel.sendsms_url, "sender": "1022"},
                            notify={"public_url": base, "retry_minutes": 1})
        engine = EngineProcess(site, tmp_path / "engine.log", site_file=site_file)
        engine.wait_log("ACD picture synced")
        engine.wait_log("console on http://")
        for name, role, ext in (("tuan", "agent", "103"), ("hoa", "supervisor", "201"), ("mai", "callback", "104")):
            _user(site, name, role, ext)
        phones = [sipp.AgentPhone(workdir, site.ports.sip, "agent103", real_pbx.secrets["agent103"], answer_after=500),
                  sipp.AgentPhone(workdir, site.ports.sip, "agent104", real_pbx.secrets["agent104"], answer_after=300),
                  sipp.Phone(workdir / "citizen-home", CITIZEN, port=site.trunk.port, answer_after=300,
                             hangup_after=2000)]
        real_pbx.wait_reachable("agent103")
        real_pbx.wait_reachable("agent104")
        with browser() as b:
            # 1-2. the citizen reports a broken street light; the agent fills the ticket and forwards it
            desk = page(b)
            login(desk, base, "tuan", PASSWORD)
            desk.click("#ready")
            desk.wait_for_selector("#state[data-state='ready'], #flash.error", timeout=30000)
            assert desk.get_attribute("#state", "data-state") == "ready", desk.inner_text("#flash")
            citizen = sipp.write_citizen(workdir, [("pause", 1000), ("dtmf", "2"), ("pause", 1000), ("dtmf", "5"),
                                                   ("pause", 8000)], end="bye", caller=CITIZEN)
            threading.Thread(target=lambda: calls.append(sipp.call(site.ports.sip, citizen, timeout=90))).start()
            desk.wait_for_selector("#pop:not([hidden])", timeout=40000)
            code = desk.inner_text("#pop-code")
            assert desk.input_value("#t-field") == "lighting"
            assert desk.inner_text("#pop-path") == "Menu chính → 2 Phản ánh sự cố → 5 Chiếu sáng"
            desk.fill("#t-summary", "Đèn đường trước số 20 Trần Phú không sáng từ tối qua")
            desk.fill("#t-address", "20 Trần Phú")
            desk.select_option("#t-area", "hai_chau")
            desk.click("#save")
            desk.wait_for_selector(f"#flash.ok >> text={code}")
            desk.goto(f"{base}/tickets/{code}")
            choice = desk.wait_for_selector(f"#forwarding .fwd-choices input[value='{AGENCY}']")
            assert choice.is_checked()  # the suggested agency for lighting in Hải Châu, ticked
            desk.fill("#forwarding textarea", "Người dân đề nghị xử lý sớm")
            desk.click("#forwarding button[type=submit]")
            desk.wait_for_selector(f"#forwarding tbody >> text={AGENCY_NAME}")
            shot(desk, "agency-case-01-forwarded")
            assert _status(db, code) == "forwarded"

            # 3. the contact's email and SMS arrived, with the code; the link opens the case in a fresh browser
            mail = next(m for m in until(lambda: [m for m in sink.received if m.recipients == (CONTACT_MAIL,)],
                                         20, "the contact's email"))
            assert code in mail.subject and code in mail.text
            sms = next(m for m in until(lambda: [m for m in kannel.receiver.arrived if m.to == CONTACT_MOBILE],
                                        20, "the contact's SMS"))
            assert code in sms.text
            link = re.search(r"(https?://\S+/a/[\w-]+)", mail.text).group(1)
            assert link.startswith(base)
            agency = page(b)
            agency.goto(link)
            agency.wait_for_selector("#case:not([hidden])")
            assert code in agency.inner_text("#case-title")
            agency.click("#ack")
            agency.wait_for_selector("#ack", state="hidden")
            agency.fill("#answer-text", ANSWER)
            agency.set_input_files("#answer-files", {"name": "bien-ban.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF})
            agency.click("#answer-send")
            agency.wait_for_selector("#case-answer-view:not([hidden])")
            assert agency.inner_text("#case-answer-text") == ANSWER
            assert agency.inner_text("#case-files") == "bien-ban.pdf"
            shot(agency, "agency-case-02-answered")
            assert _status(db, code) == "answered"

            # 4. the supervisor approves: the ticket is resolved and a callback task waits
            sup = page(b)
            login(sup, base, "hoa", PASSWORD)
            sup.goto(f"{base}/tickets/{code}")
            sup.wait_for_selector(f"#forwarding tbody >> text={ANSWER}")
            sup.click("#forwarding tbody button.go")
            sup.wait_for_selector("#flash >> text=Đã duyệt câu trả lời")
            assert _status(db, code) == "resolved"
            cb = _callback(db, code)
            assert cb is not None and cb.state == "pending" and cb.number == CITIZEN

            # 5. the worker sees the task with the approved answer to read out, claims it and dials:
            # the worker's phone, then the citizen's, answer
            worker = page(b)
            login(worker, base, "mai", PASSWORD)
            assert worker.url.endswith("/callbacks")
            worker.wait_for_selector(f"#claim-{cb.id}")
            task = worker.inner_text("#callbacks tbody")
            assert code in task and ANSWER in task and AGENCY_NAME in task, task
            worker.click(f"#claim-{cb.id}")
            worker.click(f"#dial-{cb.id}")
            worker.wait_for_selector("#flash.ok >> text=đổ chuông trước")
            until(lambda: (c := _callback(db, code)) and (c.state, c.outcome) == ("done", "reached"), 40,
                  "the callback reached")
            shot(worker, "agency-case-03-called-back")

            # 6. the citizen was told: closed; the timeline tells each step, in order, with who and when
            assert _status(db, code) == "closed"
            told = sup.evaluate(f"fetch('/api/tickets/{code}').then((r) => r.json())")
            events = told["events"]
            kinds = [e["kind"] for e in events]
            steps = ["answer", "agent", "edit", "forward", "agency_acknowledged", "agency_answered", "review",
                     "reply", "callback"]
            where = [kinds.index(k) for k in steps]
            assert where == sorted(where), kinds
            at = [datetime.fromisoformat(events[i]["at"]) for i in where]
            assert at == sorted(at), at
            by = {k: events[kinds.index(k)] for k in steps}
            assert "tuan" in by["forward"]["text"] and AGENCY_NAME in by["forward"]["text"]
            assert by["forward"]["detail"]["by"] == "tuan"
            assert by["agency_acknowledged"]["detail"]["by"] == by["agency_answered"]["detail"]["by"] == "soxd_hung"
            assert "hoa" in by["review"]["text"] and by["review"]["detail"]["decision"] == "approve"
            assert by["reply"]["detail"]["by"] == "callback"
            assert by["callback"]["detail"]["by"] == "104" and by["callback"]["detail"]["outcome"] == "reached"
            sup.reload()
            sup.wait_for_selector("#timeline tbody tr time")
            shot(sup, "agency-case-04-timeline")
            for p in (desk, agency, sup, worker):
                assert p.errors == [], p.errors
    finally:
        for phone in phones or []:
            phone.stop()
        cli(site, "agents", "logout", "103", check=False)
        if engine is not None:
            engine.stop()
        sink.stop()
        kannel.close()
        db.dispose()
    assert all(c.successful == 1 and not c.failed for c in calls), [str(c) for c in calls]
    assert phones[2].answered() == 1
