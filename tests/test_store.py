"""Migrations upgrade a database that already holds tickets."""
from sqlalchemy import text

from db import store


def test_upgrade_from_0001_keeps_tickets_and_events(tmp_path):
    db = store.connect(f"sqlite:///{tmp_path}/old.db")
    store.migrate(db, "0001")
    with db.begin() as c:
        c.execute(text("insert into calls (uniqueid, started_at, language) values ('1.1', '2026-11-25 01:00', 'vi')"))
        c.execute(text("insert into tickets (code, call_id, status, priority, created_at) "
                       "values ('1022-261125-0001', 1, 'closed', 3, '2026-11-25 01:00')"))
        c.execute(text("insert into ticket_events (ticket_id, at, kind) values (1, '2026-11-25 01:00', 'answer')"))
    store.migrate(db)
    [t] = store.list_tickets(db)
    assert t.code == "1022-261125-0001" and t.abandoned is False and [e.kind for e in t.events] == ["answer"]
