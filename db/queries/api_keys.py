"""Open311 clients' API keys in SQL: issue one (the key is returned once; only its SHA-256 is
kept, so a stolen database opens nothing), list them, revoke one, and tell who a key belongs to.

A key is looked up by its hash; a revoked key still names its client (the answer can say
"revoked" rather than "unknown") but is never valid again. Each valid use stamps `last_used_at`,
so the province's IT staff can see which clients still call before revoking.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.api_key_models import ApiKey
from db.clock import utcnow
from db.types import Conflict

PREFIX = "td311_"  # a key is recognisable in a log or a config file for what it is
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class ApiKeyError(ValueError):
    """A change refused: `code` bad_name, name_taken, not_found or already_revoked."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ApiKeyView:
    name: str
    created_at: datetime  # naive UTC, as stored
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _view(k: ApiKey) -> ApiKeyView:
    return ApiKeyView(k.name, k.created_at, k.revoked_at, k.last_used_at)


def add(db: Engine, name: str, now: datetime | None = None) -> str:
    """A new key for the client `name` (lower-case letters, digits, . _ -); returns the key itself,
    which is not stored and cannot be shown again."""
    if not NAME.fullmatch(name):
        raise ApiKeyError(f"bad client name {name!r}: lower-case letters, digits, '.', '_' or '-' "
                          "(at most 64, starting with a letter or digit)", "bad_name")
    key = PREFIX + secrets.token_urlsafe(32)
    try:
        with Session(db) as s, s.begin():
            if s.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
                raise ApiKeyError(f"a key named {name!r} exists (revoke it, or choose another name)", "name_taken")
            s.add(ApiKey(name=name, key_hash=digest(key), created_at=now or utcnow()))
    except Conflict:  # the same name added at the same moment elsewhere
        raise ApiKeyError(f"a key named {name!r} exists", "name_taken") from None
    return key


def every(db: Engine) -> list[ApiKeyView]:
    with Session(db) as s:
        return [_view(k) for k in s.scalars(select(ApiKey).order_by(ApiKey.name))]


def revoke(db: Engine, name: str, now: datetime | None = None) -> ApiKeyView:
    with Session(db) as s, s.begin():
        k = s.scalar(select(ApiKey).where(ApiKey.name == name))
        if k is None:
            raise ApiKeyError(f"no key named {name!r}", "not_found")
        if k.revoked_at is not None:
            raise ApiKeyError(f"the key {name!r} is already revoked", "already_revoked")
        k.revoked_at = now or utcnow()
        return _view(k)


def identify(db: Engine, key: str, now: datetime | None = None) -> ApiKeyView | None:
    """The key's client (None: no such key). A valid key's use is stamped; a revoked one is
    returned as it is, for the caller to refuse."""
    if not key.startswith(PREFIX) or len(key) > 128:
        return None
    with Session(db) as s, s.begin():
        k = s.scalar(select(ApiKey).where(ApiKey.key_hash == digest(key)))
        if k is None:
            return None
        if k.revoked_at is None:
            s.execute(update(ApiKey).where(ApiKey.id == k.id).values(last_used_at=now or utcnow()))
            s.refresh(k)
        return _view(k)
