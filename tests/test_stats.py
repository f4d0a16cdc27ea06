"""Statistics from ticket rows and agent intervals, without a PBX."""
from datetime import datetime, timedelta, UTC
from zoneinfo import ZoneInfo

from db import store
from db.writer import TicketBook
from acd import stats


async def test_figures_per_queue_field_and_agent(tmp_path):
    db = store.connect(f"sqlite:///{tmp_path}/s.db")
    store.migrate(db)
    book = TicketBook(db, "1022", "Asia/Ho_Chi_Minh", tmp_path / "spool.jsonl")
    await book.start()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    start = stats.day_bounds(today, "Asia/Ho_Chi_Minh")[0]
    # answered in 5 s, talked 60 s; answered in 30 s (outside the service level); abandoned after 12 s
    for n, (wait, talk, abandon) in enumerate([(5, 60, None), (30, 100, None), (None, None, 12)]):
        t = book.open(f"9.{n}", f"0909{n}", "")
        t.update(field="water", kind="report")
        t.event("queue", queue="incidents", step="join")
        if wait is not None:
            t.update(agent="101", talk_s=talk)
            t.event("agent", agent="101", queue="incidents", wait=wait)
            t.event("agent_complete", agent="101", talk=talk, ended_by="caller")
        else:
            t.event("abandon", queue="incidents", position=1, original_position=1, wait=abandon)
        t.close()
    book.agent_state("101", "ready", None, start + timedelta(minutes=60))
    book.agent_state("101", "paused", "lunch", start + timedelta(minutes=70))
    book.agent_state("101", "logged_out", None, start + timedelta(minutes=100))
    await book.flush()
    await book.close()
    log = tmp_path / "queue_log"
    epoch = int(start.replace(tzinfo=UTC).timestamp()) + 3600
    log.write_text(f"{epoch}|9.0|incidents|NONE|ENTERQUEUE||0909|1\n")
    report = stats.report(db, log, today, "Asia/Ho_Chi_Minh")
    assert report["queues"]["incidents"] == {"offered": 3, "answered": 2, "abandoned": 1, "service_level": 0.333,
                                             "asa_s": 17.5, "aht_s": 80.0, "longest_wait_s": 30}
    assert report["fields"]["water"]["offered"] == 3
    agent = report["agents"]["101"]
    assert agent["calls"] == 2 and agent["talk_s"] == 160
    assert agent["states_s"] == {"ready": 600, "paused": 1800} and agent["pauses_s"] == {"lunch": 1800}
    assert report["queue_log"]["incidents"]["offered"] == 1
    assert report["mismatches"] == ["incidents: offered tickets=3 queue_log=1",
                                    "incidents: answered tickets=2 queue_log=0",
                                    "incidents: abandoned tickets=1 queue_log=0"]
