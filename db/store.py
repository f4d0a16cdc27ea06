"""Database access: engine set-up (SQLite in WAL mode), migrations, ticket queries."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, selectinload

from db import operations as ops
from db.clock import utcnow
from db.models import Call, Ticket

MIGRATIONS = Path(__file__).with_name("migrations")


def connect(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 5})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest (or the given) Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def list_tickets(engine: Engine, since: datetime | None = None, field: str | None = None,
                 caller: str | None = None) -> list[Ticket]:
    q = select(Ticket).options(selectinload(Ticket.events), selectinload(Ticket.call)).order_by(Ticket.id)
    if since:
        q = q.where(Ticket.created_at >= since)
    if field:
        q = q.where(Ticket.field == field)
    if caller:
        q = q.join(Call).where(Call.caller_number == caller)
    with Session(engine) as s:
        return list(s.scalars(q))


def get_ticket(engine: Engine, code: str) -> Ticket | None:
    with Session(engine) as s:
        return s.scalar(select(Ticket).options(selectinload(Ticket.events), selectinload(Ticket.call))
                        .where(Ticket.code == code))


def as_dict(t: Ticket) -> dict[str, Any]:
    return {
        "code": t.code, "kind": t.kind, "field": t.field, "status": t.status, "service": t.service,
        "queue": t.queue, "caller_number": t.call.caller_number if t.call else None,
        # the name the agent entered, else the caller ID's; `caller_id_name` is always the latter
        "caller_name": t.caller_name or (t.call.caller_name if t.call else None),
        "caller_id_name": t.call.caller_name if t.call else None,
        "address": t.address, "area": t.area, "outcome": t.outcome,
        "uniqueid": t.call.uniqueid if t.call else None, "language": t.call.language if t.call else None,
        "created_at": t.created_at.isoformat(), "closed_at": t.closed_at.isoformat() if t.closed_at else None,
        "agent": t.agent, "wait_s": t.wait_s, "talk_s": t.talk_s, "abandoned": t.abandoned,
        "abandon_position": t.abandon_position, "hangup_cause": t.call.hangup_cause if t.call else None,
        "events": [{"at": e.at.isoformat(), "kind": e.kind, "detail": json.loads(e.detail) if e.detail else None}
                   for e in t.events],
    }


def add_audit(engine: Engine, actor: str, action: str, target: str | None = None, call: str | None = None,
              detail: dict[str, Any] | None = None) -> int:
    """An audit row written now (the console and the CLI); returns its id."""
    key = f"now-{actor}-{action}"
    written = ops.apply_now(engine, ops.AuditStart(key, utcnow(), actor, action, target, call, detail))
    return written.audits[key]


def add_call_event(engine: Engine, uniqueid: str, kind: str, detail: dict[str, Any] | None = None) -> str | None:
    """An event on the ticket of call `uniqueid` (from outside the engine); returns its code."""
    with Session(engine) as s:
        code = s.scalar(select(Ticket.code).join(Call).where(Call.uniqueid == uniqueid))
    if code is None:
        return None
    ops.apply_now(engine, ops.AddEvent(code, utcnow(), kind, detail))
    return code
