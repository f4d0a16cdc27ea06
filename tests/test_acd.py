"""ACD on the real Asterisk: app_queue distributes callers to SIPp agent phones."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import store
from db.models import AgentState, Audit
from db.clock import utcnow
from tests.harness import sipp
from tests.harness.cli import cli
from tests.harness.tickets import kinds, wait_closed




@pytest.fixture
def acd(real_pbx, engine, workdir):
    """The engine synced with Asterisk; every phone stopped and every agent logged out after."""
    engine.wait_log("ACD picture synced")
    phones: list[sipp.AgentPhone] = []

    def phone(user, **kw):
        p = sipp.AgentPhone(workdir, real_pbx.site.ports.sip, user, real_pbx.secrets[user], **kw)
        phones.append(p)
        real_pbx.wait_reachable(user)
        return p

    phone.engine = engine
    yield phone
    for p in phones:
        p.stop()
    for ext in real_pbx.site.agents.extensions:
        cli(real_pbx.site, "agents", "logout", str(ext), check=False)


def operator_call(real_pbx, workdir, caller, hold_ms=0, name=None):
    """A citizen who presses 0 and stays until the hotline hangs up (or hangs up after hold_ms)."""
    steps = [("pause", 1200), ("dtmf", "0")] + ([("pause", hold_ms)] if hold_ms else [])
    scenario = sipp.write_citizen(workdir, steps, end="bye" if hold_ms else "wait_bye", caller=caller,
                                  bye_timeout=60000, name=name or f"citizen-{caller}")
    return sipp.call(real_pbx.site.ports.sip, scenario, timeout=90)


def parallel(*calls):
    results = [None] * len(calls)
    threads = [threading.Thread(target=lambda i=i, c=c: results.__setitem__(i, c())) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
        time.sleep(0.3)
    for t in threads:
        t.join()
    return results


def test_calls_are_distributed_across_logged_in_agents(real_pbx, acd, workdir):
    a1 = acd("agent101", answer_after=300, hangup_after=3000)
    a2 = acd("agent102", answer_after=300, hangup_after=3000)
    cli(real_pbx.site, "agents", "login", "101")
    cli(real_pbx.site, "agents", "login", "102")
    results = parallel(*(lambda n=n: operator_call(real_pbx, workdir, f"092100000{n}") for n in (1, 2)))
    assert all(r.successful == 1 for r in results), [str(r) for r in results]
    tickets = [wait_closed(real_pbx.site, f"092100000{n}", until=lambda t: "agent_complete" in kinds(t))[0]
               for n in (1, 2)]
    assert sorted(t["agent"] for t in tickets) == ["101", "102"]
    for t in tickets:
        assert t["kind"] == "operator" and t["talk_s"] is not None and t["wait_s"] is not None
        assert "agent" in kinds(t) and "agent_complete" in kinds(t)
    assert a1.answered() == 1 and a2.answered() == 1


def test_paused_and_logged_out_agents_get_no_call(real_pbx, acd, workdir, ami):
    acd("agent101", answer_after=300, hangup_after=2000)
    ready = acd("agent102", answer_after=300, hangup_after=2000)
    acd("agent103", answer_after=300, hangup_after=2000)  # registered, never logged in
    cli(real_pbx.site, "agents", "login", "101")
    cli(real_pbx.site, "agents", "login", "102")
    cli(real_pbx.site, "agents", "pause", "101", "--reason", "lunch")
    result = operator_call(real_pbx, workdir, "0921000003")
    assert result.successful == 1, str(result)
    [t] = wait_closed(real_pbx.site, "0921000003")
    assert t["agent"] == "102"
    assert not ami.events("AgentCalled", MemberName="101")  # paused: never rung
    assert not ami.events("AgentCalled", Interface="PJSIP/agent103")  # logged out: never rung
    assert ready.answered() == 1
    listing = cli(real_pbx.site, "agents", "list").stdout
    assert any(line.startswith("101") and "paused" in line and "lunch" in line for line in listing.splitlines())


def test_wrapup_delays_the_next_call(real_pbx, acd, workdir, ami):
    acd("agent104", answer_after=200, hangup_after=2000)
    cli(real_pbx.site, "agents", "login", "104")
    results = parallel(*(lambda n=n: operator_call(real_pbx, workdir, f"092100001{n}") for n in (1, 2)))
    assert all(r.successful == 1 for r in results), [str(r) for r in results]
    connects = ami.events("AgentConnect", MemberName="104")
    completes = ami.events("AgentComplete", MemberName="104")
    assert len(connects) == 2 and len(completes) >= 1
    gap = float(connects[1]["Timestamp"]) - float(completes[0]["Timestamp"])
    # the operator queue's 4 s wrap-up (test site) passed before the next call. app_queue keeps
    # the member's last call in whole seconds (time_t) and compares with time(NULL), so the real
    # gap is anything above 3 s; without a wrap-up the waiting caller is connected within 1 s.
    assert gap > 4 - 1 - 0.05


def test_caller_who_hangs_up_in_queue_is_an_abandoned_ticket(real_pbx, acd, workdir):
    result = operator_call(real_pbx, workdir, "0921000020", hold_ms=9000)  # nobody logged in
    assert result.successful == 1, str(result)
    [t] = wait_closed(real_pbx.site, "0921000020", until=lambda t: "abandon" in kinds(t))
    assert t["abandoned"] is True and t["abandon_position"] == 1 and t["wait_s"] >= 2
    abandon = next(e for e in t["events"] if e["kind"] == "abandon")
    assert abandon["detail"]["queue"] == "operator" and abandon["detail"]["position"] == 1


def test_ring_no_answer_pauses_the_agent(real_pbx, acd, workdir, ami):
    acd("agent105", answer_after=60000)  # rings, never answers
    cli(real_pbx.site, "agents", "login", "105")
    result = operator_call(real_pbx, workdir, "0921000030", hold_ms=24000)
    assert result.successful == 1, str(result)
    acd.engine.wait_log("agent 105 did not answer 2 calls in a row: paused (no answer)", timeout=20)
    deadline = time.monotonic() + 10
    while "no answer" not in cli(real_pbx.site, "agents", "list").stdout:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    db = store.connect(real_pbx.site.paths.database_url)
    with Session(db) as s:
        states = [(r.state, r.reason) for r in s.scalars(select(AgentState).where(AgentState.agent == "105")
                                                          .order_by(AgentState.id))]
    assert ("ringing", None) in states and states[-1] == ("paused", "no answer")
    assert len(ami.events("AgentRingNoAnswer", MemberName="105")) >= 2


def test_supervisor_listen_from_the_cli(real_pbx, acd, workdir, ami):
    acd("agent106", answer_after=200, hangup_after=12000)
    supervisor = acd("supervisor201", answer_after=200, hangup_after=4000)
    cli(real_pbx.site, "agents", "login", "106")
    caller = threading.Thread(target=operator_call, args=(real_pbx, workdir, "0921000040"))
    caller.start()
    ami.wait_event("AgentConnect", MemberName="106", timeout=30)
    out = cli(real_pbx.site, "supervise", "listen", "106", "--from", "201").stdout
    assert "supervisor201's phone rings" in out
    spy = ami.wait_event("ChanSpyStart", timeout=15)
    assert spy["SpyerChannel"].startswith("PJSIP/supervisor201-") and spy["SpyeeChannel"].startswith("PJSIP/agent106-")
    # ChanSpy runs once the originated supervisor channel is answered: the spy is live on the agent's call
    caller.join()
    assert supervisor.answered() == 1
    db = store.connect(real_pbx.site.paths.database_url)
    with Session(db) as s:
        [row] = [r for r in s.scalars(select(Audit).where(Audit.action == "listen"))]
    assert (row.actor, row.target) == ("supervisor201", "106") and row.at <= utcnow()
    deadline = time.monotonic() + 10
    while row.ended_at is None and time.monotonic() < deadline:  # ChanSpyStop closes it
        time.sleep(0.3)
        with Session(db) as s:
            row = s.get(Audit, row.id)
    assert row.ended_at is not None


def test_engine_reconnects_after_the_ami_connection_is_cut_and_resyncs(real_pbx, workdir, ami):
    from tests.conftest import EngineProcess
    from tests.harness.proxy import CuttableProxy
    from tests.harness.site import variant

    proxy = CuttableProxy(real_pbx.site.ports.ami)
    engine = EngineProcess(real_pbx.site, workdir / "engine.log",
                           variant(real_pbx.site, workdir / "via-proxy.toml", ports={"ami": proxy.port}))
    try:
        engine.wait_log("ACD picture synced")
        cli(real_pbx.site, "agents", "login", "101")
        cli(real_pbx.site, "agents", "login", "102")
        engine.wait_log("tongdai.acd", timeout=5)
        proxy.refusing = True
        proxy.cut()
        # While the engine is cut off, the picture changes behind its back.
        cli(real_pbx.site, "agents", "pause", "102", "--reason", "training")
        cli(real_pbx.site, "agents", "logout", "101")
        proxy.refusing = False
        back_at = time.monotonic()
        engine.wait_log("(connection 2)", timeout=10)
        assert time.monotonic() - back_at < 5
        engine.wait_log("ACD picture synced from Asterisk: 1 member(s) logged in", timeout=5)
        db = store.connect(real_pbx.site.paths.database_url)
        deadline = time.monotonic() + 5
        while True:
            with Session(db) as s:
                open_rows = {r.agent: (r.state, r.reason) for r in s.scalars(
                    select(AgentState).where(AgentState.ended_at.is_(None), AgentState.agent.in_(["101", "102"])))}
            if open_rows == {"102": ("paused", "training")} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert open_rows == {"102": ("paused", "training")}  # 101 logged out, 102 paused: as QueueStatus says
        ami.send("QueueStatus", ActionID="check-1")
        members = [f for f in (ami.wait_event("QueueStatusComplete", ActionID="check-1") and
                               ami.events("QueueMember", ActionID="check-1"))]
        assert {m["Name"] for m in members} == {"102"} and all(m["Paused"] == "1" for m in members)
    finally:
        engine.stop()
        proxy.close()
        for ext in ("101", "102"):
            cli(real_pbx.site, "agents", "logout", ext, check=False)


def test_stats_on_fifty_calls_match_tickets_queue_log_and_app_queue(real_pbx, acd, workdir, ami):
    import json as _json

    def stats():
        return _json.loads(cli(real_pbx.site, "stats", "--json").stdout)

    def queue_params():
        ami.send("QueueStatus", ActionID=f"qs-{time.monotonic_ns()}", Queue="operator")
        frame = ami.wait(lambda f: f.get("Event") == "QueueParams" and f.get("ActionID", "").startswith("qs-")
                         and f not in seen, timeout=10)
        seen.append(frame)
        return int(frame["Completed"])

    seen: list = []
    for ext in real_pbx.site.agents.extensions:
        acd(f"agent{ext}", answer_after=300, hangup_after=1500)
        cli(real_pbx.site, "agents", "login", str(ext))
    before, completed_before = stats(), queue_params()
    scenario = sipp.write_citizen(workdir, [("pause", 1200), ("dtmf", "0")], end="wait_bye", bye_timeout=150000,
                                  caller="0922[call_number]", name="fifty")
    result = sipp.call(real_pbx.site.ports.sip, scenario, calls=50, concurrent=12, rate=4, timeout=240)
    assert result.successful == 50, str(result)
    tickets = [wait_closed(real_pbx.site, f"0922{n}", until=lambda t: t["agent"] is not None)[0]
               for n in range(1, 51)]
    time.sleep(1.5)  # the last AgentComplete events reach the engine and its writer
    after, completed_after = stats(), queue_params()

    def delta(key):
        return after["queues"]["operator"][key] - before["queues"].get("operator", {}).get(key, 0)

    answered = sum(1 for t in tickets if t["agent"])
    assert delta("offered") == 50 and delta("answered") == answered == 50
    assert delta("abandoned") == sum(t["abandoned"] for t in tickets) == 0
    assert completed_after - completed_before == answered  # app_queue's own counter agrees
    for key in ("offered", "answered", "abandoned"):  # tickets agree with app_queue's queue_log
        logged = after["queue_log"]["operator"][key] - before["queue_log"].get("operator", {}).get(key, 0)
        assert logged == delta(key), (key, after["queue_log"], before["queue_log"])
    calls = sum(a["calls"] for a in after["agents"].values()) - sum(a["calls"] for a in before["agents"].values())
    assert calls == 50
    assert after["queues"]["operator"]["service_level"] is not None
    busy = [ext for ext, a in after["agents"].items() if a["states_s"].get("talking")]
    assert len(busy) >= 3  # the calls were spread over the agents


def test_agent_transfers_the_caller_to_115_from_the_cli(real_pbx, acd, workdir, ami):
    acd("agent103", answer_after=200, hangup_after=20000)
    ambulance = sipp.Phone(workdir / "115", "115", port=real_pbx.site.trunk.port, answer_after=200,
                           hangup_after=2000)
    cli(real_pbx.site, "agents", "login", "103")
    caller = threading.Thread(target=operator_call, args=(real_pbx, workdir, "0921000050"))
    caller.start()
    try:
        connect = ami.wait_event("AgentConnect", MemberName="103", timeout=30)
        out = cli(real_pbx.site, "transfer", "PJSIP/agent103", "115").stdout
        assert "transferred to 115" in out
        ami.wait_event("DialBegin", Uniqueid=connect["Uniqueid"], DialString="115@trunk", timeout=15)
    finally:
        caller.join()
        ambulance.stop()
    [t] = wait_closed(real_pbx.site, "0921000050")
    transfer = [e for e in t["events"] if e["kind"] == "transfer"]
    assert transfer and transfer[0]["detail"] == {"to": "115", "by": "agent103", "via": "agent", "from": "cli"}
    assert ambulance.answered() == 1
