"""The hotline on PostgreSQL with the real Asterisk: a call through the IVR to an agent, a callback,
the console; and PostgreSQL stopped for 30 s under calls, after which every ticket is complete."""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
import tomllib
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from db import store
from db.models import Callback
from tests.conftest import TEST_QUEUES, EngineProcess, postgres_server, start_pbx
from tests.harness import postgres as pgmod
from tests.harness import site as site_harness
from tests.harness import sipp
from tests.harness.cli import cli
from tests.harness.console import ConsoleClient
from tests.harness.tickets import kinds, seed_callback, wait_closed
from tongdai import pbx as pbxmod


def pbx_on(database_url, base: Path, **changes):
    site_harness.new_database_url = lambda: database_url
    try:
        return start_pbx(base, queues=TEST_QUEUES, callbacks={"ring_timeout": 5, "offer_after_s": 0, "auto": False},
                         **changes)
    finally:
        site_harness.new_database_url = None


@pytest.fixture(scope="module")
def pg_pbx():
    base = Path(tempfile.mkdtemp(prefix="td-pgpbx-"))
    running = pbx_on(postgres_server().new_database(), base)
    yield running
    pbxmod.stop(running.proc)
    shutil.rmtree(base, ignore_errors=True)


async def _console_tickets(port: int, password: str) -> list[str]:
    client = ConsoleClient(f"http://127.0.0.1:{port}")
    try:
        r = await client.login("admin", password)
        assert r.status == 200, await r.text()
        async with client.request("GET", "/api/tickets") as r:
            return [t["code"] for t in (await r.json())["tickets"]]
    finally:
        await client.close()


def test_call_to_an_agent_a_callback_and_the_console_on_postgresql(pg_pbx, workdir):
    site = pg_pbx.site
    assert site.paths.database_url.startswith("postgresql+psycopg://")
    engine = EngineProcess(site, workdir / "engine.log")
    agent = sipp.AgentPhone(workdir, site.ports.sip, "agent101", pg_pbx.secrets["agent101"], answer_after=300,
                            hangup_after=1500)
    try:
        engine.wait_log("ACD picture synced")
        pg_pbx.wait_reachable("agent101")
        cli(site, "agents", "login", "101")
        xml = sipp.write_citizen(workdir, [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4")],
                                 end="wait_bye", caller="0918000001", bye_timeout=40000)
        assert sipp.call(site.ports.sip, xml, timeout=60).successful == 1
        [t] = wait_closed(site, "0918000001", until=lambda t: "agent_complete" in kinds(t))
        assert (t["agent"], t["field"], t["queue"]) == ("101", "trees", "incidents")
        cli(site, "agents", "logout", "101")
        # a callback: claimed by one agent, dialled, the citizen answers
        cb_id = seed_callback(site, "0918000002")
        citizen = sipp.Phone(workdir / "citizen", "0918000002", port=site.trunk.port, answer_after=300,
                             hangup_after=1500)
        try:
            assert "claimed by agent 101" in cli(site, "callbacks", "claim", str(cb_id), "--agent", "101").stdout
            assert f"callback {cb_id}: reached" in cli(site, "callbacks", "dial", str(cb_id), "--agent", "101").stdout
        finally:
            citizen.stop()
        db = store.connect(site.paths.database_url)
        with Session(db) as s:
            assert s.get(Callback, cb_id).state == "done"
        db.dispose()
        password = tomllib.loads(site.paths.secrets.read_text())["console_admin"]
        codes = asyncio.run(_console_tickets(site.ports.web, password))
        assert t["code"] in codes
    finally:
        agent.stop()
        engine.stop()


def test_postgresql_stopped_for_thirty_seconds_under_calls(tmp_path):
    server = pgmod.PostgresServer()  # its own, to stop and start again
    own = pbx_on(server.new_database(), tmp_path / "pbx")
    engine = EngineProcess(own.site, tmp_path / "engine.log")
    try:
        engine.wait_log("ACD picture synced")
        server.stop()
        stopped = time.monotonic()
        steps = [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"), ("pause", 3000)]
        callers = [f"09181000{i:02d}" for i in range(6)]
        results: list = [None] * len(callers)

        def one(i, caller):
            xml = sipp.write_citizen(tmp_path, steps, caller=caller, name=f"c-{caller}")
            results[i] = sipp.call(own.site.ports.sip, xml, timeout=60)

        threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(callers)]
        for i, t in enumerate(threads):
            t.start()
            if i % 2:
                t.join()  # callers spread over the outage
        for t in threads:
            t.join()
        assert all(r.successful == 1 for r in results), [str(r) for r in results]
        engine.wait_log("database write failed")
        while time.monotonic() - stopped < 30:  # the rest of the half minute without PostgreSQL
            time.sleep(0.5)
        server.start()
        for caller in callers:
            [t] = wait_closed(own.site, caller, timeout=60)
            assert kinds(t)[:4] == ["answer", "menu", "menu", "report"] and kinds(t)[-1] == "hangup", kinds(t)
            assert t["field"] == "trees" and t["status"] == "closed"
    finally:
        engine.stop()
        pbxmod.stop(own.proc)
        server.close()
