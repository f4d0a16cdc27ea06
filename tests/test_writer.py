"""The ticket book keeps calls going when the database is down, and loses nothing."""
import asyncio

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from db import store
from db.writer import TicketBook


def outage(engine):
    state = {"down": True}

    @event.listens_for(engine, "before_cursor_execute")
    def fail(conn, cursor, statement, params, context, executemany):
        if state["down"]:
            raise OperationalError(statement, params, Exception("database is down"))
    return state


async def test_events_wait_in_order_while_the_database_is_down(tmp_path):
    db = store.connect(f"sqlite:///{tmp_path}/t.db")
    store.migrate(db)
    book = TicketBook(db, "1022", "Asia/Ho_Chi_Minh", tmp_path / "spool.jsonl")
    await book.start()
    state = outage(db)
    ticket = book.open("1.1", "0901", "Nguyễn Văn A")  # returns at once though nothing can be written
    for kind in ("answer", "menu", "hangup"):
        ticket.event(kind)
    ticket.close()
    await asyncio.sleep(0.3)
    assert book.pending and book.failures >= 1
    state["down"] = False
    assert await book.flush(15)
    [t] = [store.as_dict(x) for x in store.list_tickets(db)]
    assert [e["kind"] for e in t["events"]] == ["answer", "menu", "hangup"]
    assert t["status"] == "closed" and t["caller_name"] == "Nguyễn Văn A"
    await book.close()


async def test_unwritten_events_are_spooled_at_shutdown_and_replayed(tmp_path):
    db = store.connect(f"sqlite:///{tmp_path}/t.db")
    store.migrate(db)
    spool = tmp_path / "spool.jsonl"
    book = TicketBook(db, "1022", "Asia/Ho_Chi_Minh", spool)
    await book.start()
    state = outage(db)
    ticket = book.open("2.1", "0902", "")
    ticket.event("answer")
    ticket.close()
    await book.close(timeout=0.5)
    assert spool.exists()
    state["down"] = False
    again = TicketBook(db, "1022", "Asia/Ho_Chi_Minh", spool)
    await again.start()
    assert await again.flush()
    [t] = [store.as_dict(x) for x in store.list_tickets(db)]
    assert t["code"] == ticket.code and [e["kind"] for e in t["events"]] == ["answer"]
    assert not spool.exists()
    assert again.open("2.2", "0903", "").code != ticket.code  # numbering goes on past the spooled one
    await again.close()


async def test_180_concurrent_calls_write_without_lock_errors(tmp_path):
    db = store.connect(f"sqlite:///{tmp_path}/t.db")
    store.migrate(db)
    book = TicketBook(db, "1022", "Asia/Ho_Chi_Minh", tmp_path / "spool.jsonl")
    await book.start()

    async def call(n):
        t = book.open(f"3.{n}", f"09{n:08d}", "")
        for kind in ("answer", "menu", "queue"):
            t.event(kind)
            await asyncio.sleep(0)
        t.close()

    await asyncio.gather(*(call(n) for n in range(180)))
    assert await book.flush()
    tickets = store.list_tickets(db)
    assert len(tickets) == 180 and len({t.code for t in tickets}) == 180
    assert all(len(t.events) == 3 and t.status == "closed" for t in tickets)
    assert book.failures == 0
    await book.close()
