"""What must hold on both databases (this module runs on SQLite and on PostgreSQL): the schema
from empty, and ticket numbers that two engines sharing one database never give twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect

from db import store
from db.numbers import BLOCK, reserve
from db.writer import TicketBook
from tests.harness.site import make_site


def test_migrations_apply_to_an_empty_database(tmp_path, backend):
    site = make_site(tmp_path)
    assert site.paths.database_url.startswith("postgresql+psycopg://" if backend == "postgresql" else "sqlite:///")
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    tables = set(inspect(db).get_table_names())
    assert {"calls", "tickets", "ticket_events", "callbacks", "recordings", "users", "ticket_counters"} <= tables
    store.migrate(db)  # again: nothing to do
    db.dispose()


async def test_two_engines_on_one_database_never_share_a_ticket_number(tmp_path):
    site = make_site(tmp_path)
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    books = [TicketBook(db, site.hotline, site.timezone, tmp_path / f"spool-{n}.jsonl") for n in range(2)]
    for book in books:
        await book.start()
    codes = []
    for i in range(300):  # interleaved, as two engines taking calls at once; blocks refill meanwhile
        book = books[i % 2]
        codes.append(book.open(f"u.{i}", f"09{i:08d}", "").code)
        refill = book.numbers.refill
        if refill is not None and not refill.done():  # the next block, reserved meanwhile
            await refill
    assert all(len(c.rsplit("-", 1)[1]) == 4 for c in codes)  # every number from a reserved block
    for book in books:
        assert await book.flush()
        await book.close()
    assert len(set(codes)) == 300
    assert len(store.list_tickets(db)) == 300
    # a third engine starting later continues above every number given
    later = TicketBook(db, site.hotline, site.timezone, tmp_path / "spool-3.jsonl")
    await later.start()
    code = later.open("u.late", "0900000000", "").code
    await later.close()
    assert int(code.rsplit("-", 1)[1]) > max(int(c.rsplit("-", 1)[1]) for c in codes if len(c.rsplit("-", 1)[1]) <= 5)
    db.dispose()


def test_concurrent_reservations_do_not_overlap(tmp_path):
    import threading
    site = make_site(tmp_path)
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    prefix = f"{site.hotline}-{datetime.now():%y%m%d}-"
    firsts, barrier = [], threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(5):
            firsts.append(reserve(db, prefix))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(firsts) == [1 + BLOCK * i for i in range(40)]
    db.dispose()


def test_numbers_from_the_clock_never_meet_between_engines():
    """The database away at start: two engines number from the clock, each in its own residue."""
    from zoneinfo import ZoneInfo
    from db.numbers import TicketNumbers
    a, b = (TicketNumbers(None, "1022", ZoneInfo("Asia/Ho_Chi_Minh")) for _ in range(2))  # type: ignore[arg-type]
    b.tag = (a.tag + 1) % 1000
    now = datetime(2026, 12, 3, 9, 0, 0)
    codes = [a.take(now) for _ in range(500)] + [b.take(now) for _ in range(500)]
    assert len(set(codes)) == 1000
    assert all(int(c.rsplit("-", 1)[1]) >= 100000 for c in codes)
