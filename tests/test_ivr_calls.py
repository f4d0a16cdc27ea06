"""What a citizen meets when dialing 1022, on the real Asterisk, with SIPp sending RFC 4733 DTMF."""
from __future__ import annotations

import re

import pytest

from tests.conftest import EngineProcess
from tests.harness import sipp
from tests.harness.site import variant
from tests.harness.tickets import kinds, wait_closed


def dial(real_pbx, workdir, caller, steps, until=lambda t: True, **kw):
    result = sipp.call(real_pbx.site.ports.sip, sipp.write_citizen(workdir, steps, caller=caller, **kw))
    assert result.successful == 1, str(result)
    [ticket] = wait_closed(real_pbx.site, caller, until=until)
    return ticket


def played(engine, uniqueid):
    return re.findall(rf"\[{re.escape(uniqueid)} [^\]]+\] play \S+/sounds/(\S+)", engine.log())


def no_errors(engine):
    log = engine.log()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]


def test_report_two_then_four_is_a_trees_report(real_pbx, engine, workdir):
    t = dial(real_pbx, workdir, "0911000001",
             [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"), ("pause", 6000)])
    assert (t["kind"], t["field"], t["queue"], t["status"]) == ("report", "trees", "incidents", "closed")
    assert kinds(t)[:5] == ["answer", "menu", "menu", "report", "queue"]
    # the flow's hangup, and app_queue's abandon (over AMI) in whichever order they arrive
    assert sorted(kinds(t)[5:]) in (["hangup"], ["abandon", "hangup"])
    assert t["events"][1]["detail"] == {"menu": "main", "digit": "2", "choice": "menu", "to": "report"}
    assert t["events"][2]["detail"] == {"menu": "report", "digit": "4", "choice": "report"}
    assert t["events"][4]["detail"] == {"queue": "incidents", "step": "join"}
    assert next(e for e in t["events"] if e["kind"] == "hangup")["detail"] == {"by": "caller", "at": "queue:incidents"}
    assert re.fullmatch(r"1022-\d{6}-\d{4}", t["code"])
    heard = played(engine, t["uniqueid"])
    assert heard[:3] == ["vi/welcome", "vi/report-menu", "vi/ticket-number"]
    assert heard[3:7] == [f"vi/digits/{d}" for d in t["code"][-4:]]  # the ticket number said back
    no_errors(engine)


def test_hangup_during_greeting_leaves_a_closed_ticket(real_pbx, engine, workdir):
    t = dial(real_pbx, workdir, "0911000002", [("pause", 2000)])
    assert t["status"] == "closed" and t["closed_at"]
    assert kinds(t) == ["answer", "hangup"]
    assert t["events"][-1]["detail"] == {"by": "caller", "at": "greeting"}
    no_errors(engine)


def test_three_invalid_digits_go_to_the_operator(real_pbx, engine, workdir):
    t = dial(real_pbx, workdir, "0911000003",
             [("pause", 1500), ("dtmf", "5"), ("pause", 1500), ("dtmf", "5"), ("pause", 1500), ("dtmf", "5"),
              ("pause", 9000)])
    assert kinds(t)[:4] == ["answer", "invalid", "invalid", "invalid"]
    assert t["events"][3]["detail"] == {"menu": "main", "digit": "5", "attempt": 3, "then": "operator"}
    assert (t["kind"], t["queue"]) == ("operator", "operator")
    assert "queue" in kinds(t)
    assert played(engine, t["uniqueid"]).count("vi/invalid") == 3


def test_no_input_reprompts_then_operator(real_pbx, engine, workdir):
    # the welcome, then the main menu three times with 5 s to answer each (about 63 s), then the operator
    t = dial(real_pbx, workdir, "0911000004", [("pause", 75000)], bye_timeout=90000)
    assert kinds(t)[:4] == ["answer", "timeout", "timeout", "timeout"]
    assert t["events"][3]["detail"]["then"] == "operator"
    assert t["kind"] == "operator"
    assert played(engine, t["uniqueid"]).count("vi/main-menu") == 3


def test_emergency_three_then_three_dials_115_on_the_trunk(real_pbx, engine, ami, workdir):
    # The service answers, talks, and hangs up; then the hotline ends the call.
    ambulance = sipp.Phone(workdir / "115", "115", port=real_pbx.site.trunk.port, answer_after=300,
                           hangup_after=2000)
    try:
        engine.wait_log("ACD picture synced")
        t = dial(real_pbx, workdir, "0911000005",
                 [("pause", 1500), ("dtmf", "3"), ("pause", 1500), ("dtmf", "3")], end="wait_bye", bye_timeout=20000,
                 until=lambda t: len(kinds(t)) >= 8)
    finally:
        ambulance.stop()
    assert (t["kind"], t["service"], t["status"]) == ("emergency", "115", "closed")
    assert kinds(t)[:5] == ["answer", "menu", "menu", "emergency", "transfer"]
    # the flow's transfer result and end, and the outcome from AMI, in whichever order they land
    assert sorted(kinds(t)[5:]) == ["emergency", "hangup", "transfer"]
    assert next(e for e in t["events"][5:] if e["kind"] == "transfer")["detail"] == {"to": "115", "result": "ANSWER"}
    assert next(e for e in t["events"] if e["kind"] == "hangup")["detail"] == {"by": "hotline", "at": "emergency:115"}
    uniqueid = ami.wait_event("Newchannel", CallerIDNum="0911000005")["Uniqueid"]
    dial_begin = ami.wait_event("DialBegin", Uniqueid=uniqueid)
    assert dial_begin["DialString"] == "115@trunk"
    assert ambulance.answered() >= 1


def test_after_hours_message_and_ticket(real_pbx, workdir):
    closed = {day: "closed" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    engine = EngineProcess(real_pbx.site, workdir / "engine.log", variant(real_pbx.site, workdir / "night.toml",
                                                                           hours=closed))
    try:
        t = dial(real_pbx, workdir, "0911000006", [("pause", 4000)])
    finally:
        engine.stop()
    assert (t["kind"], t["status"]) == ("after_hours", "after_hours")
    assert kinds(t) == ["answer", "after_hours", "hangup"]
    assert played(engine, t["uniqueid"]) == ["vi/closed"]


def test_nine_switches_to_english(real_pbx, engine, workdir):
    t = dial(real_pbx, workdir, "0911000007", [("pause", 1500), ("dtmf", "9"), ("pause", 2500)])
    assert kinds(t) == ["answer", "language", "hangup"]
    assert t["language"] == "en"
    assert played(engine, t["uniqueid"]) == ["vi/welcome", "en/main-menu"]


@pytest.mark.parametrize("concurrent", [200])
def test_concurrent_calls_all_end_with_complete_tickets(real_pbx, engine, ami, workdir, concurrent):
    scenario = sipp.write_citizen(workdir, [("pause", 2500), ("dtmf", "2"), ("pause", 2000)],
                                  caller="0912[call_number]")
    result = sipp.call(real_pbx.site.ports.sip, scenario, calls=concurrent, concurrent=concurrent, rate=100,
                       timeout=120)
    assert result.successful == concurrent and result.failed == 0, str(result)
    tickets = []
    for n in range(1, concurrent + 1):
        tickets += wait_closed(real_pbx.site, f"0912{n}")
    assert len(tickets) == concurrent
    assert all(kinds(t)[0] == "answer" and kinds(t)[-1] == "hangup" for t in tickets)
    assert all("menu" in kinds(t) for t in tickets)  # the digit reached every call
    assert engine.log().count("call ended at") == concurrent  # no session left open
    no_errors(engine)
