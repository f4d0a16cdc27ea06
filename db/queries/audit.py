"""The audit trail, read: who did what to whom, newest first (the administration page)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Audit


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat() + "Z", "actor": self.actor, "action": self.action,
                "target": self.target, "detail": self.detail}


def _detail(text: str | None) -> dict[str, Any]:
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {"text": text}
    return found if isinstance(found, dict) else {"value": found}


def recent(db: Engine, actions: Sequence[str], limit: int = 100) -> list[AuditRow]:
    """The newest `limit` rows of these actions."""
    with Session(db) as s:
        rows = s.scalars(select(Audit).where(Audit.action.in_(list(actions)))
                         .order_by(Audit.at.desc(), Audit.id.desc()).limit(limit))
        return [AuditRow(a.id, a.at, a.actor, a.action, a.target, _detail(a.detail)) for a in rows]
