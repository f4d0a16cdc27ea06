"""The red team's PBX-side findings, each a test on the real Asterisk: agent phones spying,
trunk spoofing by name, a FastAGI port that trusted any local client, world-readable citizen
data and PINs in CDR, Asterisk sharing its uid with another host account."""
from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import store
from db.models import Audit, Callback
from tests.conftest import TEST_QUEUES, EngineProcess, start_pbx
from tests.harness import sipp
from tests.harness.cli import cli
from tests.harness.fake_pbx import ScriptedAsterisk
from tests.harness.site import variant
from tests.harness.tickets import recordings_of, wait_closed
from tests.test_hostile import refused
from tongdai import daemon_user
from tongdai import pbx as pbxmod

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def seat_call(real_pbx, workdir, user, number, steps, end="bye", name=None):
    xml = sipp.write_seat_call(workdir, user, real_pbx.secrets[user], steps, end=end, name=name)
    return sipp.call(real_pbx.site.ports.sip, xml, service=number, timeout=60)


def audit_rows(site, action=None):
    db = store.connect(site.paths.database_url)
    try:
        with Session(db) as s:
            return [a for a in s.scalars(select(Audit)) if action is None or a.action == action]
    finally:
        db.dispose()


def test_agent_phone_cannot_spy_a_supervisor_phone_can(real_pbx, engine, ami, workdir):
    engine.wait_log("ACD picture synced")
    agent = sipp.AgentPhone(workdir, real_pbx.site.ports.sip, "agent101", real_pbx.secrets["agent101"],
                            answer_after=300)
    real_pbx.wait_reachable("agent101")
    cli(real_pbx.site, "agents", "login", "101")
    results = []
    xml = sipp.write_citizen(workdir, [("pause", 1200), ("dtmf", "0"), ("pause", 25000)], caller="0916000001")
    citizen = threading.Thread(target=lambda: results.append(sipp.call(real_pbx.site.ports.sip, xml, timeout=60)))
    citizen.start()
    try:
        uniqueid = ami.wait_event("Newchannel", CallerIDNum="0916000001")["Uniqueid"]
        ami.wait_event("AgentConnect", Uniqueid=uniqueid, timeout=30)
        # agent 102's phone dials *21101: its dialplan has no such code; refused, audited, no spy
        done = seat_call(real_pbx, workdir, "agent102", "*21101", [("pause", 500)], end="wait_bye")
        assert done.successful == 1, str(done)
        deadline = time.monotonic() + 10
        while not [a for a in audit_rows(real_pbx.site, "listen") if a.actor == "agent102"]:
            assert time.monotonic() < deadline, audit_rows(real_pbx.site)
            time.sleep(0.2)
        assert ami.events("ChanSpyStart") == []
        # a supervisor phone still can
        done = seat_call(real_pbx, workdir, "supervisor201", "*21101", [("pause", 3000)])
        assert done.successful == 1, str(done)
        start = ami.wait_event("ChanSpyStart", timeout=10)
        assert start["SpyerChannel"].startswith("PJSIP/supervisor201-")
        assert start["SpyeeChannel"].startswith("PJSIP/agent101-")
    finally:
        citizen.join()
        agent.stop()
        cli(real_pbx.site, "agents", "logout", "101", check=False)
    [row] = [a for a in audit_rows(real_pbx.site, "listen") if a.actor == "agent102"]
    assert row.target == "101" and "refused" in row.detail
    assert [a for a in audit_rows(real_pbx.site, "listen") if a.actor == "supervisor201"]


def test_a_from_user_named_trunk_from_another_address_is_refused(real_pbx, ami, workdir):
    before = len(ami.events("Newchannel"))
    assert refused(real_pbx.site, workdir, "1022", source="127.0.0.2", caller="trunk", name="trunk")
    time.sleep(1)
    assert len(ami.events("Newchannel")) == before  # no channel at all


def test_a_fake_fastagi_client_gets_nothing(real_pbx, engine, workdir):
    """Anyone local can open the FastAGI port; a session for a channel Asterisk does not have is refused."""
    engine.wait_log("ACD picture synced")
    db = store.connect(real_pbx.site.paths.database_url)
    with Session(db) as s:
        callbacks = s.scalar(select(func.count()).select_from(Callback))
    fakes = [ScriptedAsterisk(["0"], caller="0916000002", channel="PJSIP/trunk-0000beef"),
             ScriptedAsterisk([], script="agent?code=14", channel="PJSIP/agent101-0000beef")]
    for fake in fakes:
        asyncio.run(fake.run(real_pbx.site.ports.agi))
        assert fake.commands == []  # closed before a single command
    engine.wait_log("FastAGI session refused: no live channel 'PJSIP/trunk-0000beef'")
    assert store.list_tickets(db, caller="0916000002") == []
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(Callback)) == callbacks
    db.dispose()


def test_asterisk_runs_as_its_own_host_user(real_pbx):
    status = (real_pbx.layout.run / pbxmod.PIDFILE).read_text().strip()
    uid = int(next(line.split()[1] for line in open(f"/proc/{status}/status") if line.startswith("Uid:")))
    assert daemon_user.check_unique(uid) == [daemon_user.DAEMON_USER]


def test_no_world_readable_citizen_data_and_no_pin_anywhere(tmp_path):
    """Calls, a voicemail and a phone login with a PIN on a PBX of its own; then every file."""
    own = start_pbx(tmp_path / "pbx", queues=TEST_QUEUES)
    site = own.site
    pin = "97531864"
    cli(site, "agents", "add", "130", "--name", "Test", "--pin", pin, "--skills", "operator=0")
    today = datetime.now(ZoneInfo(site.timezone)).weekday()
    night = variant(site, tmp_path / "night.toml", hours={d: ("closed" if i == today else "07:30-17:30")
                                                          for i, d in enumerate(DAYS)})
    eng = EngineProcess(site, tmp_path / "engine.log", night)
    audio = sipp.tone(tmp_path, 10)
    try:
        eng.wait_log("ACD picture synced")
        steps = [("pause", 1500), ("dtmf", "0"), ("pause", 7500), ("audio", audio), ("pause", 3000),
                 ("silence", None), ("pause", 300), ("dtmf", "#")]
        xml = sipp.write_citizen(tmp_path, steps, end="wait_bye", caller="0916000003", bye_timeout=40000)
        assert sipp.call(site.ports.sip, xml, timeout=90).successful == 1
        [t] = wait_closed(site, "0916000003")
        assert {r.kind for r in recordings_of(site, t["code"])} >= {"voicemail"}
        # a phone login: *11, then the PIN keyed in when asked
        xml = sipp.write_seat_call(tmp_path, "agent104", own.secrets["agent104"],
                                   # some speech first: Asterisk's strict RTP learns the phone's address
                                   [("audio", audio), ("pause", 2000), ("silence", None), ("pause", 300),
                                    ("dtmf", pin + "#")], end="wait_bye")  # the hotline ends the call
        assert sipp.call(site.ports.sip, xml, service="*11", timeout=60).successful == 1
        eng.wait_log("agent 130 logged in at PJSIP/agent104")
        cli(site, "agents", "logout", "130")
    finally:
        eng.stop()
        pbxmod.stop(own.proc)
    readable, with_pin = [], []
    for path in site.paths.data.rglob("*"):
        if path.is_file() and not path.is_symlink():
            if path.stat().st_mode & 0o004:
                readable.append(f"{oct(path.stat().st_mode)} {path}")
            if pin.encode() in path.read_bytes():
                with_pin.append(str(path))
    assert readable == []
    assert with_pin == []
    assert pin not in (tmp_path / "engine.log").read_text(errors="replace")
    cdr = (own.layout.log / "cdr-csv" / "Master.csv").read_text()
    assert "*11" in cdr  # the login call is in the CDR, without its PIN
    assert subprocess.run(["grep", "-r", pin, str(own.layout.log)], capture_output=True).returncode == 1
    assert os.stat(site.paths.secrets).st_mode & 0o077 == 0


def test_fastagi_port_is_closed_to_other_local_users(real_pbx, engine):
    """nftables (`meta skuid`): only Asterisk's user and the engine's may connect at all."""
    engine.wait_log("FastAGI port")
    probe = f"exec 3<>/dev/tcp/127.0.0.1/{real_pbx.site.ports.agi}"  # bash opens a TCP connection
    nobody = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/bash", "-c", probe],
                            capture_output=True, text=True, timeout=30)
    assert nobody.returncode != 0 and "refused" in nobody.stderr.lower(), nobody.stderr
    me = subprocess.run(["/bin/bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert me.returncode == 0, me.stderr
