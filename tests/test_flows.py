"""The hotline flow against a scripted Asterisk: ticket rows are the outcome."""
import functools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agi_scripts.server import FastAgiServer
from asterisk_conf import render
from db import store
from db.writer import TicketBook
from ivr import flows
from ivr.menu import load_menu
from tests.harness.fake_pbx import ScriptedAsterisk, heard
from tests.harness.site import make_site

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OPEN = datetime(2026, 11, 25, 9, 0, tzinfo=VN)
NIGHT = datetime(2026, 11, 25, 22, 0, tzinfo=VN)


@pytest.fixture
async def hotline(tmp_path):
    site = make_site(tmp_path, demo_hours=True)  # the clock below moves between open and closed
    render(site)  # the spool directories Asterisk writes into
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    book = TicketBook(db, site.hotline, site.timezone, tmp_path / "spool.jsonl")
    await book.start()
    clock = {"now": OPEN}
    ctx = flows.Context(site, load_menu(site), book, lambda: clock["now"])
    server = FastAgiServer({"ivr": functools.partial(flows.hotline, ctx)}, site.paths.sounds, port=0)
    await server.start()

    async def call(keys, **kw):
        pbx = ScriptedAsterisk(keys, **kw)
        await pbx.run(server.port)
        assert await book.flush()
        [ticket] = [t for t in store.list_tickets(db) if t.call.uniqueid == pbx.uniqueid]
        return store.as_dict(ticket), pbx

    call.clock = clock
    call.server = server
    call.db = db
    call.book = book
    yield call
    await server.close()
    await book.close()
    db.dispose()


async def run_one(site, keys, queue_info=lambda queue: (0, 0, 1), caller="0901"):
    """One scripted call through the hotline flow on `site`; returns (ticket dict, PBX)."""
    render(site)
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    book = TicketBook(db, site.hotline, site.timezone, site.paths.data / "spool.jsonl")
    await book.start()
    ctx = flows.Context(site, load_menu(site), book, lambda: OPEN, queue_info)
    server = FastAgiServer({"ivr": functools.partial(flows.hotline, ctx)}, site.paths.sounds, port=0)
    await server.start()
    pbx = ScriptedAsterisk(keys, caller=caller)
    await pbx.run(server.port)
    await server.close()
    await book.close()
    [t] = [store.as_dict(x) for x in store.list_tickets(db)]
    return t, pbx, db


def kinds(t):
    return [e["kind"] for e in t["events"]]


async def test_report_path_records_every_step(hotline):
    t, pbx = await hotline(["2", "4"])
    assert (t["kind"], t["field"], t["queue"], t["status"]) == ("report", "trees", "incidents", "closed")
    assert kinds(t) == ["answer", "menu", "menu", "report"] + ["queue"] * 5 + ["hangup"]
    assert [e["detail"] for e in t["events"][5:9]] == [
        {"queue": "incidents", "step": "leave", "result": "TIMEOUT"},
        {"queue": "operator", "step": "overflow", "after": "TIMEOUT"},  # waited too long: the operator
        {"queue": "operator", "step": "join"}, {"queue": "operator", "step": "leave", "result": "TIMEOUT"}]
    assert 'EXEC Queue "incidents,t,,,300"' in pbx.commands and 'EXEC Queue "operator,t,,,300"' in pbx.commands
    assert pbx.commands[-1] == 'SET VARIABLE TONGDAI_DONE "1"'
    assert f'SET VARIABLE __TONGDAI_TICKET "{t["code"]}"' in pbx.commands
    sorry = [c for c in pbx.commands if c.startswith("STREAM") and "sorry-busy" in c]
    assert sorry  # nobody answered within the queue's maximum wait


async def test_hangup_at_every_step_leaves_a_closed_complete_ticket(hotline):
    _, full = await hotline(["2", "4"])
    for step in range(len(full.commands)):
        t, pbx = await hotline(["2", "4"], hangup_at=step)
        assert t["status"] == "closed" and t["closed_at"], (step, t)
        assert kinds(t)[-1] == "hangup" and t["events"][-1]["detail"]["by"] == "caller", (step, t)
        if step < len(full.commands) - 1:  # the dialplan is not told the flow completed
            assert "TONGDAI_DONE" not in " ".join(pbx.commands)
    assert hotline.server.active == 0


async def test_guide_mode_plays_the_number(tmp_path):
    t, pbx, _ = await run_one(make_site(tmp_path, emergency={"mode": "guide"}), ["3", "1"])
    assert (t["kind"], t["service"]) == ("emergency", "113")
    assert not [c for c in pbx.commands if c.startswith("EXEC Dial")]
    assert any("emergency-police-guide" in c for c in pbx.commands)


async def test_emergency_transfer_failure_tells_the_number(hotline):
    t, pbx = await hotline(["3", "2"], variables={"DIALSTATUS": "CONGESTION"})
    assert 'EXEC Dial "PJSIP/114@trunk,120"' in pbx.commands
    assert t["events"][5]["detail"] == {"to": "114", "result": "CONGESTION"}
    assert any("emergency-fire-guide" in c for c in pbx.commands)


async def test_after_hours_plays_hours_offers_emergency_and_takes_a_message(hotline):
    hotline.clock["now"] = NIGHT
    t, pbx = await hotline([None, None, None, None], caller="0905123456")
    assert (t["kind"], t["status"]) == ("after_hours", "callback_pending")
    streams = [c for c in pbx.commands if c.startswith("STREAM")]
    assert "/vi/closed" in streams[0] and any("closed-menu" in c for c in streams)
    assert any("leave-message" in c for c in streams) and "callback-scheduled" in streams[-1]
    assert any(c.startswith("RECORD FILE") and f'{t["code"]}-vm' in c for c in pbx.commands)
    scheduled = next(e for e in t["events"] if e["kind"] == "callback")["detail"]
    assert scheduled["number"] == "0905123456" and scheduled["due"].startswith("2026-11-26T07:30")
    from db.models import Callback, Recording
    from sqlalchemy import select
    from sqlalchemy.orm import Session
    with Session(hotline.db) as s:
        [cb] = s.scalars(select(Callback)).all()
        [rec] = s.scalars(select(Recording).where(Recording.kind == "voicemail")).all()
    assert (cb.number, cb.state, cb.attempts, cb.language) == ("0905123456", "pending", 0, "vi")
    assert cb.due_at == datetime(2026, 11, 26, 0, 30)  # 07:30 in Vietnam, stored in UTC
    assert rec.duration_s == 2.0 and rec.status == "ok" and len(rec.sha256) == 64
    t, pbx = await hotline(["3", "1"])  # emergencies at all hours, with the same keys
    assert (t["kind"], t["service"], t["status"]) == ("emergency", "113", "closed")


async def test_english_prompts_after_nine(hotline):
    t, pbx = await hotline(["9", "0"])
    assert t["language"] == "en"
    assert 'SET VARIABLE CHANNEL(language) "en"' in pbx.commands
    streams = [c for c in pbx.commands if c.startswith("STREAM")]
    assert "/vi/welcome" in streams[0] and all("/en/" in c for c in streams[1:])


async def test_hostile_caller_id_never_reaches_the_wire_unquoted(hotline):
    t, pbx = await hotline(["0"], caller='0901" ; EXEC System rm')
    assert t["caller_number"] == '0901" ; EXEC System rm'
    assert not any(c.startswith("EXEC System") for c in pbx.commands)


async def test_500_concurrent_sessions_each_leave_a_ticket(hotline):
    import asyncio
    pbxs = [ScriptedAsterisk(["2", "4"], caller=f"0913{n:06d}") for n in range(500)]
    await asyncio.gather(*(p.run(hotline.server.port, timeout=30) for p in pbxs))
    assert hotline.server.served >= 500
    await hotline.book.flush()
    tickets = store.list_tickets(hotline.db)
    ids = {p.uniqueid for p in pbxs}
    done = [t for t in tickets if t.call.uniqueid in ids]
    assert len(done) == 500 and all(t.field == "trees" for t in done)
    assert hotline.server.active == 0


async def test_position_and_expected_wait_are_announced_when_callers_wait(tmp_path):
    _, pbx, _ = await run_one(make_site(tmp_path), ["0"], lambda queue: (2, 100, 2))
    streams = [f.split("/sounds/")[1] for f in heard(pbx.commands)]
    i = streams.index("vi/queue-position")
    assert streams[i:i + 5] == ["vi/queue-position", "vi/digits/3", "vi/queue-wait", "vi/digits/2", "vi/minutes"]
    assert pbx.commands.index('EXEC Queue "operator,t,,,300"') > pbx.commands.index(
        next(c for c in pbx.commands if "minutes" in c))


async def test_long_wait_offers_a_callback_that_keeps_the_place(tmp_path):
    site = make_site(tmp_path, callbacks={"offer_after_s": 60})
    t, pbx, db = await run_one(site, ["0", "1"], lambda queue: (5, 400, 1), caller="0905123456")
    assert t["status"] == "callback_pending"
    assert not any(c.startswith("EXEC Queue") for c in pbx.commands)  # no waiting on the line
    from db.models import Callback
    from sqlalchemy import select
    from sqlalchemy.orm import Session
    with Session(db) as s:
        [cb] = s.scalars(select(Callback)).all()
    assert (cb.queue, cb.number, cb.state) == ("operator", "0905123456", "pending")
    assert cb.queued_at == cb.due_at  # due now; worked in the order callers reached the queue


async def test_unanswered_service_tells_the_number_then_offers_the_operator(hotline):
    t, pbx = await hotline(["3", "3"], variables={"DIALSTATUS": "CHANUNAVAIL"})
    streams = [c.split('"')[1].split("/sounds/")[1] for c in pbx.commands if c.startswith("STREAM")]
    i = streams.index("vi/emergency-ambulance-guide")
    assert streams[i + 1] == "vi/emergency-operator"
    assert pbx.commands.index('EXEC Queue "operator,t,,,300"') > pbx.commands.index(
        next(c for c in pbx.commands if "emergency-operator" in c))
    assert (t["kind"], t["service"], t["queue"]) == ("emergency", "115", "operator")


async def test_emergency_key_while_waiting_in_a_queue(hotline):
    """app_queue left for its exit context: the flow offers the emergency menu and records from where."""
    t, pbx = await hotline(["2", "4", "1"], variables={"CONTEXT": "tongdai-queue-exit"})
    assert 'EXEC Queue "incidents,t,,,300"' in pbx.commands
    assert 'EXEC Dial "PJSIP/113@trunk,120"' in pbx.commands
    chosen = next(e for e in t["events"] if e["kind"] == "emergency")["detail"]
    assert chosen == {"step": "chosen", "service": "113", "name": "police", "mode": "transfer",
                      "from": "queue:incidents"}
    left = [e["detail"] for e in t["events"] if e["kind"] == "queue" and e["detail"]["step"] == "leave"]
    assert left == [{"queue": "incidents", "step": "leave", "result": "EMERGENCY_KEY"}]


async def test_emergency_from_the_report_menu_records_where(hotline):
    t, _ = await hotline(["2", "3", "2"])
    chosen = next(e for e in t["events"] if e["kind"] == "emergency")["detail"]
    assert (chosen["service"], chosen["from"]) == ("114", "menu:report")
