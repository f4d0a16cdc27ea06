"""The desk's rule "an outcome before Ready": which call, if any, still needs its outcome."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db import store
from db.models import Agent, Ticket
from db.queries.agents import call_without_outcome

LOGIN = datetime(2026, 12, 3, 1, 0)


def _db(tmp_path):
    db = store.connect(f"sqlite:///{tmp_path / 't.db'}")
    store.migrate(db)
    with Session(db) as s, s.begin():
        s.add(Agent(extension="101", name="Lan", pin_hash="x", skills="{}", seat="PJSIP/agent101", logged_in_at=LOGIN))
        s.add(Agent(extension="102", name="Minh", pin_hash="y", skills="{}", seat=None))
    return db


def _ticket(db, code: str, agent: str, answered: datetime, outcome: str | None = None) -> None:
    with Session(db) as s, s.begin():
        s.add(Ticket(code=code, agent=agent, agent_answered_at=answered, outcome=outcome, created_at=answered))


def test_the_latest_call_since_login_without_an_outcome(tmp_path):
    db = _db(tmp_path)
    assert call_without_outcome(db, "101") is None  # no call yet
    _ticket(db, "1022-A", "101", LOGIN - timedelta(hours=1))  # before this login: not held against them
    assert call_without_outcome(db, "101") is None
    _ticket(db, "1022-B", "101", LOGIN + timedelta(minutes=5))
    assert call_without_outcome(db, "101") == "1022-B"
    _ticket(db, "1022-C", "101", LOGIN + timedelta(minutes=9), outcome="answered")
    assert call_without_outcome(db, "101") is None  # the latest call has its outcome
    _ticket(db, "1022-D", "102", LOGIN + timedelta(minutes=9))
    assert call_without_outcome(db, "102") is None  # not logged in: nothing to go Ready from
    db.dispose()
