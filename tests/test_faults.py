"""Faults a hotline meets, on the real Asterisk: the engine killed during calls, Asterisk
restarted under the engine, the database away for a minute, the recordings disk full."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import TEST_QUEUES, EngineProcess, start_pbx
from tests.harness import sipp
from tests.harness.cli import cli
from tests.harness.site import variant
from tests.harness.tickets import kinds, wait_closed
from tongdai import pbx as pbxmod


def _calls(site, workdir, specs):
    """Place SIPp calls in threads: specs = [(caller, steps, delay_s)]; returns the results in order."""
    results = [None] * len(specs)

    def one(i, caller, steps, delay):
        time.sleep(delay)
        xml = sipp.write_citizen(workdir, steps, caller=caller, name=f"c-{caller}")
        results[i] = sipp.call(site.ports.sip, xml, timeout=120)

    threads = [threading.Thread(target=one, args=(i, *spec)) for i, spec in enumerate(specs)]
    for t in threads:
        t.start()
    return threads, results


def test_engine_killed_during_calls_then_every_call_is_reconciled(real_pbx, engine, workdir, tmp_path):
    site = real_pbx.site
    # three callers are in the IVR when the engine dies: the fallback menu takes them (once the prompt
    # the dead engine had started ends: the first 0 ends it), they press 0 again for the operator queue
    # (no digit before: in the fallback menu 1-3 are the emergency services)
    walking = [("pause", 5500), ("dtmf", "0"), ("pause", 3000), ("dtmf", "0"), ("pause", 2500)]
    # two call while it is down
    later = [("pause", 1500), ("dtmf", "0"), ("pause", 2500)]
    specs = [(f"090600000{i}", walking, 0.2 * i) for i in range(3)] + \
            [(f"090600001{i}", later, 5 + i) for i in range(2)]
    threads, results = _calls(site, workdir, specs)
    time.sleep(2.5)
    engine.proc.kill()
    engine.proc.wait()
    for t in threads:
        t.join()
    assert all(r.successful == 1 for r in results), [str(r) for r in results]

    restarted = EngineProcess(site, tmp_path / "engine-2.log")
    try:
        restarted.wait_log("reconciled from Asterisk's CDR")
        for caller, _, _ in specs[:3]:  # tickets the dead engine had opened: closed, with their IVR steps
            [t] = wait_closed(site, caller, until=lambda t: "reconciled" in kinds(t))
            assert kinds(t)[0] == "answer" and t["status"] == "closed" and t["closed_at"]
            assert t["queue"] == "operator"  # the fallback menu's 0, from queue_log
        for caller, _, _ in specs[3:]:  # calls it never saw: new tickets from CDR and queue_log
            [t] = wait_closed(site, caller, until=lambda t: "reconciled" in kinds(t))
            assert kinds(t)[0] == "reconciled" and t["queue"] == "operator" and "queue" in kinds(t)
            assert t["caller_number"] == caller and t["closed_at"]
    finally:
        restarted.stop()


def test_asterisk_restart_under_the_engine(tmp_path):
    own = start_pbx(tmp_path / "pbx", queues=TEST_QUEUES)
    eng = EngineProcess(own.site, tmp_path / "engine.log")
    phone = None
    try:
        eng.wait_log("ACD picture synced")
        phone = sipp.AgentPhone(tmp_path, own.site.ports.sip, "agent101", own.secrets["agent101"],
                                answer_after=300, hangup_after=1500)
        own.wait_reachable("agent101")
        cli(own.site, "agents", "login", "101")
        pbxmod.stop(own.proc)
        own.proc = pbxmod.start(own.pbx, own.layout)
        eng.wait_log("Asterisk restarted", timeout=30)
        eng.wait_log("restored 1 logged-in agent(s) into the queues: 101", timeout=30)
        assert "QueueMember" in own.rx("queue show operator") or "agent101" in own.rx("queue show operator")
        # the phone registers again, as phones do when their registration is refreshed
        sipp.register(own.site.ports.sip, tmp_path / "agent101", "agent101", own.secrets["agent101"], phone.port)
        own.wait_reachable("agent101", timeout=60)  # a loaded machine qualifies late
        xml = sipp.write_citizen(tmp_path, [("pause", 1500), ("dtmf", "0")], end="wait_bye", caller="0906100001",
                                 bye_timeout=40000)
        result = sipp.call(own.site.ports.sip, xml, timeout=60)
        assert result.successful == 1, str(result)
        [t] = wait_closed(own.site, "0906100001", until=lambda t: "agent_complete" in kinds(t))
        assert t["agent"] == "101"
    finally:
        if phone:
            phone.stop()
        eng.stop()
        pbxmod.stop(own.proc)


def test_database_away_for_a_minute_loses_no_call_and_no_event(real_pbx, engine, workdir):
    site = real_pbx.site
    db_path = site.paths.database_url.removeprefix("sqlite:///")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"c = sqlite3.connect({db_path!r}, timeout=30, isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\nsys.stdin.read()\nc.rollback()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        steps = [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"), ("pause", 3000)]
        callers = [f"090620000{i}" for i in range(6)]
        threads, results = _calls(site, workdir, [(c, steps, 9 * i) for i, c in enumerate(callers)])
        for t in threads:
            t.join()
        engine.wait_log("database write failed")
        time.sleep(max(0, 60 - 9 * 5 - 10))  # a whole minute without the database
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert all(r.successful == 1 for r in results), [str(r) for r in results]
    for caller in callers:
        [t] = wait_closed(site, caller, timeout=60)
        assert kinds(t)[:4] == ["answer", "menu", "menu", "report"] and kinds(t)[-1] == "hangup", kinds(t)
        assert t["field"] == "trees" and t["status"] == "closed"


@pytest.fixture
def full_disk(workdir):
    mount = workdir / "recordings-full"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_recordings_disk_full_calls_go_on_and_it_is_reported(real_pbx, workdir, full_disk):
    site_file = variant(real_pbx.site, workdir / "full.toml", paths={"recordings": str(full_disk)})
    eng = EngineProcess(real_pbx.site, workdir / "engine.log", site_file)
    try:
        audio = sipp.tone(workdir, 6)
        steps = [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"), ("audio", audio), ("pause", 6000)]
        xml = sipp.write_citizen(workdir, steps, caller="0906300001")
        result = sipp.call(real_pbx.site.ports.sip, xml)
        assert result.successful == 1, str(result)
        [t] = wait_closed(real_pbx.site, "0906300001", until=lambda t: "recording_failed" in kinds(t), timeout=30)
        failed = next(e for e in t["events"] if e["kind"] == "recording_failed")
        assert "No space left" in failed["detail"]["error"]
        eng.wait_log("recordings store: cannot store")
        closed = real_pbx.site.paths.spool / "closed" / t["code"]
        assert closed.exists() and (real_pbx.site.paths.spool / "monitor" / f"{t['code']}.wav").exists()
        subprocess.run(["umount", "-l", str(full_disk)], check=True)  # room again: the waiting file goes in
        eng.wait_log(f"[{t['code']}] recording stored", timeout=20)
    finally:
        eng.stop()
