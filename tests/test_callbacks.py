"""Callback claims and the retry policy, on the database."""
import threading
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from acd import callbacks
from db import store
from db.models import Call, Callback, Ticket
from db.clock import utcnow
from tests.harness.site import make_site


def seeded(tmp_path, **changes):
    site = make_site(tmp_path, **changes)
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    now = datetime(2026, 11, 26, 2, 0)  # 09:00 in Vietnam
    with Session(db) as s, s.begin():
        call = Call(uniqueid="7.1", started_at=now, language="vi", caller_number="0905123456")
        s.add(call)
        s.flush()
        ticket = Ticket(code="1022-261126-0001", call_id=call.id, status="callback_pending", priority=3,
                        created_at=now, kind="after_hours")
        s.add(ticket)
        s.flush()
        s.add(Callback(ticket_id=ticket.id, number="0905123456", language="vi", queued_at=now, due_at=now,
                       attempts=0, state="pending", updated_at=now))
    return site, db


def test_two_concurrent_claims_exactly_one_wins(tmp_path):
    site, db = seeded(tmp_path)
    results, barrier = [], threading.Barrier(8)

    def worker(agent):
        barrier.wait()
        results.append((agent, callbacks.claim(db, 1, agent)))

    threads = [threading.Thread(target=worker, args=(str(100 + n),)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [a for a, won in results if won]
    assert len(winners) == 1
    assert callbacks.listing(db)[0].claimed_by == winners[0]


def test_no_answer_is_retried_in_the_window_then_unreachable(tmp_path):
    site, db = seeded(tmp_path)
    first = callbacks.record_outcome(site, db, 1, "no_answer", "101")
    assert (first.state, first.attempts) == ("pending", 1)
    assert first.due_at > utcnow() + timedelta(minutes=29) or first.due_at.hour == 0
    callbacks.record_outcome(site, db, 1, "busy", "101")
    last = callbacks.record_outcome(site, db, 1, "no_answer", "101")
    assert (last.state, last.attempts) == ("unreachable", 3)
    ticket = store.get_ticket(db, "1022-261126-0001")
    assert ticket.status == "unreachable"
    assert [e.kind for e in ticket.events] == ["callback"] * 3


def test_retry_outside_the_window_moves_to_next_morning(tmp_path):
    site, _ = seeded(tmp_path)
    evening = datetime(2026, 11, 26, 12, 50)  # 19:50 in Vietnam; +30 min is past 20:00
    assert callbacks.next_try(site, evening) == datetime(2026, 11, 27, 0, 30)  # 07:30 next day
    noon = datetime(2026, 11, 26, 5, 0)
    assert callbacks.next_try(site, noon) == noon + timedelta(minutes=30)


def test_reached_closes_the_ticket(tmp_path):
    site, db = seeded(tmp_path)
    v = callbacks.record_outcome(site, db, 1, "reached", "101")
    assert v.state == "done" and store.get_ticket(db, "1022-261126-0001").status == "closed"
