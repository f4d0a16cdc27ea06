"""One emergency key path at every hour, from every step, with the engine up or down, and every
emergency call recorded whole: on the real Asterisk, SIPp as the citizen and as 113/114/115."""
from __future__ import annotations

import threading
from datetime import datetime

import pytest

from tests.conftest import EngineProcess
from tests.harness import sipp
from tests.harness.cli import cli
from tests.harness.site import variant
from tests.harness.tickets import kinds, recordings_of, wait_closed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
THREE_ONE = [("pause", 1500), ("dtmf", "3"), ("pause", 1500), ("dtmf", "1")]


def service(real_pbx, workdir, number, **kw):
    """The emergency service behind the trunk, as a SIPp UAS on the trunk's address."""
    return sipp.Phone(workdir / number, number, port=real_pbx.site.trunk.port, answer_after=300, **kw)


def place(real_pbx, workdir, caller, steps, **kw):
    result = sipp.call(real_pbx.site.ports.sip, sipp.write_citizen(workdir, steps, caller=caller, **kw), timeout=90)
    assert result.successful == 1, str(result)


def dial_begin(ami, caller):
    uniqueid = ami.wait_event("Newchannel", CallerIDNum=caller)["Uniqueid"]
    return uniqueid, ami.wait_event("DialBegin", Uniqueid=uniqueid, timeout=40)


def engine_for(real_pbx, workdir, when):
    """The engine in opening hours, after hours (closed all week), or none at all (the fallback)."""
    if when == "engine_down":
        return None
    file = real_pbx.site.file
    if when == "after_hours":
        file = variant(real_pbx.site, workdir / "night.toml", hours={day: "closed" for day in DAYS})
    engine = EngineProcess(real_pbx.site, workdir / "engine.log", file)
    engine.wait_log("ACD picture synced")
    return engine


def emergency_events(ticket, step):
    return [e["detail"] for e in ticket["events"] if e["kind"] == "emergency" and e["detail"]["step"] == step]


@pytest.mark.parametrize("when", ["open", "after_hours", "engine_down"])
def test_three_one_is_the_police_at_every_hour_and_with_the_engine_down(real_pbx, ami, workdir, when):
    caller = {"open": "0915000001", "after_hours": "0915000002", "engine_down": "0915000003"}[when]
    police = service(real_pbx, workdir, "113", hangup_after=1500)
    engine = engine_for(real_pbx, workdir, when)
    try:
        place(real_pbx, workdir, caller, THREE_ONE, end="wait_bye", bye_timeout=30000)
        _, begin = dial_begin(ami, caller)
    finally:
        police.stop()
        if engine:
            engine.stop()
    assert begin["DialString"] == "113@trunk"
    assert police.answered() == 1


def test_one_alone_in_the_fallback_dials_nobody(real_pbx, ami, workdir):
    """A caller used to '1 = administrative procedures' is never put through to the police."""
    police = service(real_pbx, workdir, "113", hangup_after=1000)
    try:
        place(real_pbx, workdir, "0915000004", [("pause", 1500), ("dtmf", "1"), ("pause", 4000)])
        uniqueid = ami.wait_event("Newchannel", CallerIDNum="0915000004")["Uniqueid"]
        ami.wait_event("Hangup", Uniqueid=uniqueid)
    finally:
        police.stop()
    assert ami.events("DialBegin", Uniqueid=uniqueid) == []
    assert police.answered() == 0


@pytest.mark.parametrize("where, steps, came_from", [
    # 0: the operator queue, nobody to answer; the ticket number is read back, then the caller waits
    ("queue", [("pause", 1500), ("dtmf", "0"), ("pause", 9000), ("dtmf", "3"), ("pause", 2500), ("dtmf", "3")],
     "queue:operator"),
    ("report menu", [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "3"), ("pause", 1500), ("dtmf", "3")],
     "menu:report"),
])
def test_emergency_keys_from_a_queue_and_from_a_sub_menu(real_pbx, ami, engine, workdir, where, steps, came_from):
    caller = "0915000005" if where == "queue" else "0915000006"
    ambulance = service(real_pbx, workdir, "115", hangup_after=1500)
    engine.wait_log("ACD picture synced")
    try:
        place(real_pbx, workdir, caller, steps, end="wait_bye", bye_timeout=30000)
        _, begin = dial_begin(ami, caller)
    finally:
        ambulance.stop()
    assert begin["DialString"] == "115@trunk"
    [t] = wait_closed(real_pbx.site, caller, until=lambda t: emergency_events(t, "ended"))
    [chosen] = emergency_events(t, "chosen")
    assert (chosen["service"], chosen["from"]) == ("115", came_from)
    assert (t["kind"], t["service"]) == ("emergency", "115")


@pytest.mark.parametrize("when", ["open", "engine_down"])
def test_answered_emergency_call_is_recorded_whole(real_pbx, ami, workdir, when):
    """113 answers and talks; the citizen talks for about 8 s after it answered, then hangs up."""
    caller = "0915000007" if when == "open" else "0915000008"
    audio = sipp.tone(workdir, 30)
    police = service(real_pbx, workdir, "113", audio=audio)
    engine = engine_for(real_pbx, workdir, when)
    try:
        place(real_pbx, workdir, caller, [*THREE_ONE, ("audio", audio), ("pause", 9000)])
        dial_begin(ami, caller)
        if engine is None:  # the engine comes back and puts the call into the books
            engine = EngineProcess(real_pbx.site, workdir / "engine-back.log")
            engine.wait_log("reconciled from Asterisk's CDR")
        done = (lambda t: emergency_events(t, "ended")) if when == "open" else (lambda t: "reconciled" in kinds(t))
        [t] = wait_closed(real_pbx.site, caller, until=done)
        recordings = recordings_of(real_pbx.site, t["code"], timeout=30)
    finally:
        police.stop()
        if engine:
            engine.stop()
    assert police.answered() == 1
    [rec] = recordings
    call_s = (datetime.fromisoformat(t["closed_at"]) - datetime.fromisoformat(t["created_at"])).total_seconds()
    assert rec.kind == "call" and rec.status == "ok", rec.flag
    assert abs(rec.duration_s - call_s) <= 2.0 and rec.duration_s >= 10, (rec.duration_s, call_s)
    [ended] = emergency_events(t, "ended")
    assert (ended["service"], ended["outcome"]) == ("113", "ANSWER"), ended
    if when == "open":  # from AMI; the fallback's comes from CDR, which knows no separate talk time
        assert ended["talk_s"] >= 7, ended


def test_agent_transfer_to_113_is_recorded_whole(real_pbx, ami, engine, workdir):
    """An agent's transfer (CLI; the console's buttons use the same code) takes the caller out of the
    flow; the recording goes on to the call's real end, and so does the ticket's call."""
    engine.wait_log("ACD picture synced")
    audio = sipp.tone(workdir, 40)
    agent = sipp.AgentPhone(workdir, real_pbx.site.ports.sip, "agent105", real_pbx.secrets["agent105"],
                            answer_after=300)
    police = service(real_pbx, workdir, "113", audio=audio)
    real_pbx.wait_reachable("agent105")
    cli(real_pbx.site, "agents", "login", "105")
    try:
        xml = sipp.write_citizen(workdir, [("pause", 1200), ("dtmf", "0"), ("audio", audio), ("pause", 16000)],
                                 caller="0915000009")
        results = []
        thread = threading.Thread(target=lambda: results.append(sipp.call(real_pbx.site.ports.sip, xml, timeout=90)))
        thread.start()
        uniqueid = ami.wait_event("Newchannel", CallerIDNum="0915000009")["Uniqueid"]
        ami.wait_event("AgentConnect", Uniqueid=uniqueid, timeout=30)
        assert "transferred to 113" in cli(real_pbx.site, "transfer", "PJSIP/agent105", "113").stdout
        ami.wait_event("DialBegin", Uniqueid=uniqueid, DialString="113@trunk")
        thread.join()
        assert results[0].successful == 1, str(results[0])
        [t] = wait_closed(real_pbx.site, "0915000009", until=lambda t: emergency_events(t, "ended"))
        recordings = recordings_of(real_pbx.site, t["code"], timeout=30)
    finally:
        agent.stop()
        police.stop()
        cli(real_pbx.site, "agents", "logout", "105", check=False)
    [rec] = recordings
    [ended] = emergency_events(t, "ended")
    assert (ended["service"], ended["outcome"]) == ("113", "ANSWER") and ended["talk_s"] >= 5, ended
    assert rec.status == "ok", rec.flag
    assert rec.duration_s >= 15


def test_unanswered_115_gives_the_number_then_the_operator(real_pbx, engine, workdir):
    """Nothing listens on the trunk: the caller hears the number to dial and goes to the operator."""
    engine.wait_log("ACD picture synced")
    place(real_pbx, workdir, "0915000010", [("pause", 1500), ("dtmf", "3"), ("pause", 1500), ("dtmf", "3"),
                                            ("pause", 45000)])
    [t] = wait_closed(real_pbx.site, "0915000010", until=lambda t: emergency_events(t, "ended"), timeout=30)
    [ended] = emergency_events(t, "ended")
    assert ended["service"] == "115" and ended["outcome"] in ("NOANSWER", "CHANUNAVAIL"), ended
    heard = engine.log()
    assert "vi/emergency-ambulance-guide" in heard and "vi/emergency-operator" in heard
    joined = [e["detail"] for e in t["events"] if e["kind"] == "queue" and e["detail"].get("step") == "join"]
    assert joined and joined[0]["queue"] == "operator", t["events"]
