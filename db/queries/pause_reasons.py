"""Pause reasons as rows: the phone's *13<digit> and the desk's list, named in both languages."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import PauseReason


# the rows migration 0006 seeds: what the console names until it has read the table
DEFAULTS = (("1", "break", "Nghỉ giải lao", "Break"), ("2", "lunch", "Nghỉ trưa", "Lunch"),
            ("3", "training", "Đào tạo", "Training"), ("4", "after-call work", "Xử lý sau cuộc gọi", "After-call work"))


class PauseReasonError(ValueError):
    """A pause reason that cannot be saved as asked; the message says why, `code` names it for the
    console's translated messages."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


KEY = re.compile(r"[a-z][a-z0-9 _-]{0,31}")  # what agent_states.reason and QueuePause's Reason hold


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
            raise PauseReasonError(f"key: {self.key!r} is already the key of another digit", "key_taken") from None
        return PauseReasonView(self.digit, self.key, self.vi, self.en, self.active)


def _name(text: str, lang: str) -> str:
    text = " ".join(text.split())
    if not text or len(text) > 64:
        raise PauseReasonError(f"{lang}: the name, 1-64 characters", "reason_name")
    return text


def key_from(name: str) -> str:
    """A key made from an English name: 'Team meeting' -> 'team-meeting'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32]


def add_reason(db: Engine, digit: str, key: str, vi: str, en: str) -> PauseReasonView:
    """A new reason on a free digit 1-9; its key (empty: made from the English name) is kept for good."""
    if not (len(digit) == 1 and digit in "123456789"):
        raise PauseReasonError("digit: one of 1-9 (the phone's *13 and this digit)", "digit_format")
    vi, en = _name(vi, "vi"), _name(en, "en")
    key = key.strip().lower() or key_from(en)
    if not KEY.fullmatch(key):
        raise PauseReasonError("key: 1-32 of a-z 0-9 space _ -, starting with a letter", "key_format")
    if any(r.digit == digit for r in reasons(db, active_only=False)):
        raise PauseReasonError(f"digit {digit} already has a reason: change that one instead", "digit_taken")
    return SavePauseReason(digit, key, vi, en).apply(db)


def change_reason(db: Engine, digit: str, vi: str | None = None, en: str | None = None,
                  active: bool | None = None) -> tuple[PauseReasonView, PauseReasonView]:
    """New names and/or (in)active for the reason of `digit` (its key stays); (before, after)."""
    found = [r for r in reasons(db, active_only=False) if r.digit == digit]
    if not found:
        raise PauseReasonError(f"no pause reason on digit {digit!r}", "no_reason")
    before = found[0]
    after = replace(before, vi=_name(vi, "vi") if vi is not None else before.vi,
                    en=_name(en, "en") if en is not None else before.en,
                    active=before.active if active is None else active)
    SavePauseReason(after.digit, after.key, after.vi, after.en, after.active).apply(db)
    return before, after
