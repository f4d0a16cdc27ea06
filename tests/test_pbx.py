"""The real Asterisk 22 in the loop: SIPp citizens, the FastAGI engine, AMI events."""
from __future__ import annotations

from tests.harness import sipp
from tests.harness.tickets import kinds, wait_closed


def test_call_reaches_fastagi_and_ami_shows_it(real_pbx, engine, ami, workdir):
    scenario = sipp.write_citizen(workdir, [("pause", 3000)], caller="0905111222")
    result = sipp.call(real_pbx.site.ports.sip, scenario)
    assert result.successful == 1 and result.failed == 0, str(result)

    new = ami.wait_event("Newchannel", CallerIDNum="0905111222")
    assert new["Channel"].startswith("PJSIP/trunk-") and new["Exten"] == "1022"
    ami.wait_event("Hangup", Uniqueid=new["Uniqueid"])
    assert not ami.events("UserEvent", UserEvent="TongdaiFallback", Uniqueid=new["Uniqueid"])
    [ticket] = wait_closed(real_pbx.site, "0905111222")
    assert kinds(ticket) == ["answer", "hangup"] and ticket["uniqueid"] == new["Uniqueid"]
    log = engine.log()
    assert f"[{new['Uniqueid']} 1022-" in log  # the flow ran, its log lines carry uniqueid and ticket
    assert "Traceback" not in log


def test_fallback_answers_when_engine_is_down(real_pbx, ami, workdir):
    # No engine: the FastAGI connection is refused, the dialplan's own menu answers,
    # and pressing 0 puts the caller in the operator queue.
    scenario = sipp.write_citizen(workdir, [("pause", 1500), ("dtmf", "0"), ("pause", 2500)],
                                  caller="0905333444")
    result = sipp.call(real_pbx.site.ports.sip, scenario)
    assert result.successful == 1, str(result)

    new = ami.wait_event("Newchannel", CallerIDNum="0905333444")
    fallback = ami.wait_event("UserEvent", UserEvent="TongdaiFallback", Uniqueid=new["Uniqueid"])
    assert fallback["AGISTATUS"] == "FAILURE"
    joined = ami.wait_event("QueueCallerJoin", Uniqueid=new["Uniqueid"])
    assert joined["Queue"] == "operator"
    ami.wait_event("Hangup", Uniqueid=new["Uniqueid"])


def test_engine_that_dies_midcall_still_leaves_the_fallback(real_pbx, engine, ami, workdir):
    # An engine killed mid-call makes Asterisk report AGISTATUS=SUCCESS; the dialplan
    # routes on TONGDAI_DONE, so the caller still reaches the fallback menu.
    engine.proc.kill()
    engine.proc.wait()
    scenario = sipp.write_citizen(workdir, [("pause", 1000)], caller="0905555666")
    result = sipp.call(real_pbx.site.ports.sip, scenario)
    assert result.successful == 1, str(result)
    new = ami.wait_event("Newchannel", CallerIDNum="0905555666")
    ami.wait_event("UserEvent", UserEvent="TongdaiFallback", Uniqueid=new["Uniqueid"])


def test_fallback_emergency_dials_the_service_over_the_trunk(real_pbx, ami, workdir):
    # Engine down, the caller presses 3 then 3 (the same keys as with the engine): the dialplan
    # dials 115 (a literal) on the trunk, where a SIPp phone plays the ambulance service and answers.
    ambulance = sipp.Phone(workdir / "115", "115", port=real_pbx.site.trunk.port, answer_after=200)
    try:
        scenario = sipp.write_citizen(workdir, [("pause", 1500), ("dtmf", "3"), ("pause", 1500), ("dtmf", "3"),
                                                ("pause", 3000)], caller="0905777888")
        result = sipp.call(real_pbx.site.ports.sip, scenario)
        assert result.successful == 1, str(result)
        new = ami.wait_event("Newchannel", CallerIDNum="0905777888")
        dial = ami.wait_event("DialBegin", Uniqueid=new["Uniqueid"])
        assert dial["DialString"] == "115@trunk"
        end = ami.wait_event("DialEnd", Uniqueid=new["Uniqueid"])
        assert end["DialStatus"] == "ANSWER"
    finally:
        ambulance.stop()
