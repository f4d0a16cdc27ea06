"""Feature codes from agent phones, against a scripted PBX and the capture-driven fake AMI."""
import functools

import pytest

from acd import phones
from acd.pin_guard import PinGuard
from acd.ami import AmiClient
from acd.desk import AgentDesk, seed_demo_agents
from agi_scripts.server import FastAgiServer
from db import store
from db.writer import TicketBook
from tests.harness.fake_pbx import ScriptedAsterisk
from tests.harness.site import make_site
from tests.harness.transcripts import FakeAmi
from config.secrets import load_or_create, site_secret_names


@pytest.fixture
async def desk(tmp_path):
    site = make_site(tmp_path)
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    seed_demo_agents(site, db)
    fake = FakeAmi("ami_queue_call_and_actions.txt")
    await fake.start()
    ami = AmiClient("127.0.0.1", fake.port, "tongdai", "secret")
    await ami.connect()
    book = TicketBook(db, site.hotline, site.timezone, tmp_path / "spool.jsonl")
    await book.start()
    desk = AgentDesk(site, db, ami)
    guard = PinGuard(delay_s=0)
    server = FastAgiServer({"agent": functools.partial(phones.agent_codes, desk, guard, book),
                            "supervisor": functools.partial(phones.supervisor_codes, desk, book)},
                           site.paths.sounds, port=0)
    await server.start()

    async def dial(script, channel="PJSIP/agent103-00000001", keys=()):
        pbx = ScriptedAsterisk(list(keys), script=script, channel=channel)
        await pbx.run(server.port)
        return pbx

    dial.desk, dial.fake, dial.site, dial.book, dial.db = desk, fake, site, book, db
    yield dial
    await server.close()
    await ami.close()
    await fake.close()
    await book.close()


async def test_login_with_pin_at_this_phone_then_pause_and_logout(desk):
    pin = load_or_create(desk.site.paths.secrets, site_secret_names(desk.site))["pin101"]
    pbx = await desk("agent?code=11", keys=[pin])  # keyed in when asked: never in the dialled number
    agent = await desk.desk.agent("101")
    assert agent.seat == "PJSIP/agent103"  # agent 101 sits at seat agent103
    adds = [a for a in desk.fake.actions if a["Action"] == "QueueAdd"]
    assert {a["Queue"] for a in adds} == {"operator", "admin", "incidents"}
    assert all(a["Interface"] == "PJSIP/agent103" and a["MemberName"] == "101" for a in adds)
    assert any("agent-logged-in" in c for c in pbx.commands) and pbx.commands[-1] == 'SET VARIABLE TONGDAI_DONE "1"'

    await desk("agent?code=13&digits=2")
    assert (await desk.desk.agent("101")).pause_reason == "lunch"
    pause = [a for a in desk.fake.actions if a["Action"] == "QueuePause"][-1]
    assert (pause["Interface"], pause["Paused"], pause["Reason"]) == ("PJSIP/agent103", "true", "lunch")

    await desk("agent?code=12")
    assert (await desk.desk.agent("101")).seat is None


async def test_wrong_pin_is_refused_with_a_prompt(desk):
    pbx = await desk("agent?code=11", keys=["000000000"])
    assert any("agent-error" in c for c in pbx.commands)
    assert not [a for a in desk.fake.actions if a["Action"] == "QueueAdd"]


async def test_supervisor_listen_spies_and_is_audited(desk):
    await desk.desk.login("102", "PJSIP/agent102")
    pbx = await desk("supervisor?mode=listen&agent=102", channel="PJSIP/supervisor201-00000002")
    assert 'EXEC ChanSpy "PJSIP/agent102,q"' in pbx.commands
    await desk.book.flush()
    from sqlalchemy import select
    from sqlalchemy.orm import Session
    from db.models import Audit
    with Session(desk.db) as s:
        [row] = s.scalars(select(Audit)).all()
    assert (row.actor, row.action, row.target) == ("supervisor201", "listen", "102") and row.ended_at


def test_agents_add_from_the_cli(tmp_path):
    import subprocess
    import sys
    site = make_site(tmp_path)
    cli = [sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "agents"]
    done = subprocess.run(cli + ["add", "120", "--name", "Nguyễn Thị Lan", "--pin", "4321", "--skills",
                                 "admin=0,operator=2"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(cli + ["add", "121", "--name", "X", "--pin", "4321"], capture_output=True, text=True)
    assert again.returncode == 1 and "PIN is already used" in again.stderr
    listing = subprocess.run(cli + ["list"], capture_output=True, text=True).stdout
    assert any(line.startswith("120") and "Nguyễn Thị Lan" in line for line in listing.splitlines())


def audits(db, action=None):
    from sqlalchemy import select
    from sqlalchemy.orm import Session
    from db.models import Audit
    with Session(db) as s:
        return [a for a in s.scalars(select(Audit)) if action is None or a.action == action]


async def test_twenty_wrong_pins_from_one_phone_lock_it_out(desk):
    pin = load_or_create(desk.site.paths.secrets, site_secret_names(desk.site))["pin101"]
    for _ in range(20):
        await desk("agent?code=11", channel="PJSIP/agent104-00000009", keys=["999999999"])
    pbx = await desk("agent?code=11", channel="PJSIP/agent104-0000000a", keys=[pin])  # even the right PIN
    assert any("agent-error" in c for c in pbx.commands)
    assert not any(c.startswith("GET DATA") for c in pbx.commands)  # not even asked any more
    assert (await desk.desk.agent("101")).seat is None
    await desk.book.flush()
    assert len(audits(desk.db, "pin_lockout")) == 1
    [lock] = audits(desk.db, "pin_lockout")
    assert (lock.actor, lock.target) == ("agent104", "PJSIP/agent104")
    assert len(audits(desk.db, "pin_refused")) == 21
    # another phone is not locked out
    await desk("agent?code=11", channel="PJSIP/agent105-0000000b", keys=[pin])
    assert (await desk.desk.agent("101")).seat == "PJSIP/agent105"


async def test_no_login_from_the_trunk_or_a_strange_endpoint(desk):
    pin = load_or_create(desk.site.paths.secrets, site_secret_names(desk.site))["pin101"]
    for channel in ("PJSIP/trunk-00000001", "PJSIP/agent999-00000001", "Local/s@x-00000001;1"):
        pbx = await desk("agent?code=11", channel=channel, keys=[pin])
        assert any("agent-error" in c for c in pbx.commands)
    assert (await desk.desk.agent("101")).seat is None


async def test_spy_code_from_an_agent_seat_is_refused_and_audited(desk):
    await desk.desk.login("102", "PJSIP/agent102")
    pbx = await desk("supervisor?mode=listen&agent=102", channel="PJSIP/agent101-00000002")
    assert not any(c.startswith("EXEC ChanSpy") for c in pbx.commands)
    await desk.book.flush()
    [row] = audits(desk.db)
    assert (row.actor, row.action, row.target) == ("agent101", "listen", "102") and "refused" in row.detail
