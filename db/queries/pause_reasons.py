"""Pause reasons as rows: the phone's *13<digit> and the desk's list, named in both languages."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import PauseReason


class PauseReasonError(ValueError):
    """A pause reason that cannot be saved as asked; the message says why."""


@dataclass(frozen=True)
class PauseReasonView:
    digit: str
    key: str
    vi: str
    en: str
    active: bool

    def as_dict(self) -> dict[str, str | bool]:
        return {"digit": self.digit, "key": self.key, "vi": self.vi, "en": self.en, "active": self.active}


def reasons(db: Engine, active_only: bool = True) -> list[PauseReasonView]:
    """The reasons by digit (only those agents may pick, unless `active_only` is False)."""
    stmt = select(PauseReason).order_by(PauseReason.digit)
    if active_only:
        stmt = stmt.where(PauseReason.active.is_(True))
    with Session(db) as s:
        return [PauseReasonView(r.digit, r.key, r.vi, r.en, r.active) for r in s.scalars(stmt)]


@dataclass(frozen=True)
class SavePauseReason:
    """Add or change the reason of one digit (its key stays what past pauses were recorded under)."""
    digit: str
    key: str
    vi: str
    en: str
    active: bool = True

    def apply(self, db: Engine) -> PauseReasonView:
        try:
            with Session(db) as s, s.begin():
                row = s.get(PauseReason, self.digit)
                if row is None:
                    s.add(PauseReason(digit=self.digit, key=self.key, vi=self.vi, en=self.en, active=self.active))
                else:
                    row.key, row.vi, row.en, row.active = self.key, self.vi, self.en, self.active
        except IntegrityError:
            raise PauseReasonError(f"key: {self.key!r} is already the key of another digit") from None
        return PauseReasonView(self.digit, self.key, self.vi, self.en, self.active)
