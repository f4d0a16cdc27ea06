"""Recordings, after-hours voicemail and callbacks on the real Asterisk with SIPp."""
from __future__ import annotations

import time
from datetime import datetime, UTC
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import store
from db.models import Callback, Ticket
from db.clock import utcnow
from tests.conftest import EngineProcess
from tests.harness import sipp
from tests.harness.cli import cli
from tests.harness.site import variant
from tests.harness.tickets import recordings_of, seed_callback, wait_closed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")



def test_answered_agent_call_is_recorded_whole_and_verifies(real_pbx, engine, workdir):
    engine.wait_log("ACD picture synced")
    phone = sipp.AgentPhone(workdir, real_pbx.site.ports.sip, "agent104", real_pbx.secrets["agent104"],
                            answer_after=300, hangup_after=3000)
    cli(real_pbx.site, "agents", "login", "104")
    try:
        audio = sipp.tone(workdir, 30)
        scenario = sipp.write_citizen(workdir, [("pause", 1200), ("dtmf", "0"), ("audio", audio)], end="wait_bye",
                                      caller="0931000001", bye_timeout=60000)
        result = sipp.call(real_pbx.site.ports.sip, scenario, timeout=90)
        assert result.successful == 1, str(result)
        [ticket] = wait_closed(real_pbx.site, "0931000001")
        [rec] = recordings_of(real_pbx.site, ticket["code"])
    finally:
        phone.stop()
        cli(real_pbx.site, "agents", "logout", "104", check=False)
    assert ticket["agent"] == "104"
    assert rec.kind == "call" and rec.status == "ok", rec.flag
    assert rec.path.endswith(f"{ticket['code']}.wav")  # named after the ticket, not the caller
    answered = datetime.fromisoformat(ticket["closed_at"]) - datetime.fromisoformat(ticket["created_at"])
    assert abs(rec.duration_s - answered.total_seconds()) <= 2.0
    assert ticket["code"] not in cli(real_pbx.site, "recordings", "verify", check=False).stdout  # hash verifies


def test_after_hours_voicemail_then_callback_reaches_the_citizen(real_pbx, workdir, ami):
    today = datetime.now(ZoneInfo(real_pbx.site.timezone)).weekday()
    hours = {day: ("closed" if i == today else "07:30-17:30") for i, day in enumerate(DAYS)}
    night = variant(real_pbx.site, workdir / "night.toml", hours=hours)
    engine = EngineProcess(real_pbx.site, workdir / "engine.log", night)
    audio = sipp.tone(workdir, 30)
    try:
        steps = [("pause", 1500), ("dtmf", "0"), ("pause", 7500), ("audio", audio), ("pause", 4000),
                 ("silence", None), ("pause", 300), ("dtmf", "#")]
        scenario = sipp.write_citizen(workdir, steps, end="wait_bye", caller="0905123456", bye_timeout=40000)
        result = sipp.call(real_pbx.site.ports.sip, scenario, timeout=90)
        assert result.successful == 1, str(result)
        [ticket] = wait_closed(real_pbx.site, "0905123456")
    finally:
        engine.stop()
    assert (ticket["kind"], ticket["status"]) == ("after_hours", "callback_pending")
    [voicemail] = [r for r in recordings_of(real_pbx.site, ticket["code"]) if r.kind == "voicemail"]
    assert voicemail.status == "ok" and voicemail.duration_s >= 2.5
    db = store.connect(real_pbx.site.paths.database_url)
    with Session(db) as s:
        cb = s.scalars(select(Callback).join(Ticket).where(Ticket.code == ticket["code"])).one()
    local_due = cb.due_at.replace(tzinfo=UTC).astimezone(ZoneInfo(real_pbx.site.timezone))
    assert local_due.strftime("%H:%M") == "07:30" and local_due.date() > datetime.now().date()

    # The next morning: an agent claims it and dials; the agent hears the message, then the citizen answers.
    agent = sipp.AgentPhone(workdir, real_pbx.site.ports.sip, "agent101", real_pbx.secrets["agent101"],
                            answer_after=300)
    citizen = sipp.Phone(workdir / "citizen", "0905123456", port=real_pbx.site.trunk.port, answer_after=300,
                         hangup_after=2000)
    real_pbx.wait_reachable("agent101")
    try:
        assert "claimed by agent 101" in cli(real_pbx.site, "callbacks", "claim", str(cb.id), "--agent", "101").stdout
        lost = cli(real_pbx.site, "callbacks", "claim", str(cb.id), "--agent", "102", check=False)
        assert lost.returncode != 0 and "not pending" in lost.stderr
        out = cli(real_pbx.site, "callbacks", "dial", str(cb.id), "--agent", "101").stdout
        assert f"callback {cb.id}: reached" in out
        dial = ami.wait_event("DialBegin", DialString="0905123456@trunk", timeout=5)
        assert dial["CallerIDNum"] == "1022"
    finally:
        agent.stop()
        citizen.stop()
    assert citizen.answered() == 1
    with Session(db) as s:
        cb = s.get(Callback, cb.id)
        assert (cb.state, cb.outcome, cb.attempts) == ("done", "reached", 1)
    assert store.get_ticket(db, ticket["code"]).status == "closed"
    closed = real_pbx.site.paths.spool / "closed" / f"callback-{cb.id}"
    deadline = time.monotonic() + 10
    while not closed.exists() and time.monotonic() < deadline:  # recorded; a running engine takes it in
        time.sleep(0.3)
    assert closed.exists()


def test_callback_no_answer_is_retried_later(real_pbx, workdir):
    db = store.connect(real_pbx.site.paths.database_url)
    now = utcnow()
    cb_id = seed_callback(real_pbx.site, "0905222333")
    agent = sipp.AgentPhone(workdir, real_pbx.site.ports.sip, "agent102", real_pbx.secrets["agent102"],
                            answer_after=300)
    deaf = sipp.Phone(workdir / "citizen", "0905222333", port=real_pbx.site.trunk.port, answer_after=60000)
    real_pbx.wait_reachable("agent102")
    try:
        cli(real_pbx.site, "callbacks", "claim", str(cb_id), "--agent", "102")
        out = cli(real_pbx.site, "callbacks", "dial", str(cb_id), "--agent", "102").stdout
    finally:
        agent.stop()
        deaf.stop()
    assert f"callback {cb_id}: no_answer" in out
    with Session(db) as s:
        cb = s.get(Callback, cb_id)
        assert (cb.state, cb.attempts, cb.claimed_by) == ("pending", 1, None)
        assert cb.due_at > now  # retried later, inside the calling window


def test_automatic_mode_dials_a_due_callback_when_an_agent_is_ready(real_pbx, workdir):
    db = store.connect(real_pbx.site.paths.database_url)
    cb_id = seed_callback(real_pbx.site, "0905444555")
    window = {"window": "00:00-24:00", "auto": True}
    engine = EngineProcess(real_pbx.site, workdir / "engine.log", variant(real_pbx.site, workdir / "auto.toml",
                                                                          callbacks=window))
    agent = sipp.AgentPhone(workdir, real_pbx.site.ports.sip, "agent106", real_pbx.secrets["agent106"],
                            answer_after=300)
    citizen = sipp.Phone(workdir / "citizen", "0905444555", port=real_pbx.site.trunk.port, answer_after=300,
                         hangup_after=1500)
    real_pbx.wait_reachable("agent106")
    try:
        engine.wait_log("ACD picture synced")
        cli(real_pbx.site, "agents", "login", "106")
        engine.wait_log(f"automatic callback {cb_id} by agent 106: reached", timeout=40)
    finally:
        engine.stop()
        agent.stop()
        citizen.stop()
        cli(real_pbx.site, "agents", "logout", "106", check=False)
    with Session(db) as s:
        cb = s.get(Callback, cb_id)
        assert (cb.state, cb.outcome, cb.claimed_by) == ("done", "reached", "106")
