"""Console accounts and sessions: argon2 password hashes, server-side sessions.

A session cookie carries a random token; the database keeps only its SHA-256, the user
and the session's CSRF token. A login lasts one shift (12 hours).
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from db.models import User, WebSession
from db.writer import utcnow
from config.secrets import load_or_create

log = logging.getLogger("tongdai.web")

ROLES = ("agent", "supervisor", "callback", "leader", "admin")
NEEDS_EXTENSION = ("agent", "supervisor", "callback")
SESSION_HOURS = 12
MIN_PASSWORD = 10
USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,31}")
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("tongdai-not-a-user")  # unknown users cost the same time as known ones


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    name: str
    role: str
    extension: str | None

    def as_dict(self) -> dict:
        return {"username": self.username, "name": self.name, "role": self.role, "extension": self.extension}


def _view(u: User) -> UserView:
    return UserView(u.id, u.username, u.name, u.role, u.extension)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")


def add_user(db: Engine, username: str, role: str, password: str, extension: str | None = None,
             name: str | None = None) -> UserView:
    if not USERNAME.fullmatch(username):
        raise AccountError("username: 2-32 of a-z 0-9 _ . - (starting with a letter or digit)")
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    if role in NEEDS_EXTENSION and not (extension and extension.isdigit()):
        raise AccountError(f"extension: a {role} needs their agent/supervisor number (digits)")
    check_password(password)
    user = User(username=username, name=name or username, role=role, extension=extension,
                password_hash=_hasher.hash(password), created_at=utcnow())
    try:
        with Session(db) as s, s.begin():
            s.add(user)
            s.flush()
            return _view(user)
    except IntegrityError:
        raise AccountError(f"username: {username!r} already exists") from None


def set_password(db: Engine, username: str, password: str) -> None:
    check_password(password)
    with Session(db) as s, s.begin():
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise AccountError(f"no user {username!r}")
        user.password_hash = _hasher.hash(password)
        s.execute(delete(WebSession).where(WebSession.user_id == user.id))  # other logins end


def users(db: Engine) -> list[UserView]:
    with Session(db) as s:
        return [_view(u) for u in s.scalars(select(User).where(User.disabled.is_(False)).order_by(User.username))]


def count(db: Engine) -> int:
    with Session(db) as s:
        return s.scalar(select(func.count()).select_from(User)) or 0


def authenticate(db: Engine, username: str, password: str) -> UserView | None:
    with Session(db) as s, s.begin():
        user = s.scalar(select(User).where(User.username == username, User.disabled.is_(False)))
        try:
            _hasher.verify(user.password_hash if user else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return _view(user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Engine, user: UserView) -> tuple[str, str]:
    """A new login: (the cookie's token, the session's CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = utcnow()
    with Session(db) as s, s.begin():
        s.execute(delete(WebSession).where(WebSession.expires_at < now))
        s.add(WebSession(token_hash=_digest(token), user_id=user.id, csrf=csrf, created_at=now,
                         expires_at=now + timedelta(hours=SESSION_HOURS)))
    return token, csrf


def session_user(db: Engine, token: str) -> tuple[UserView, str] | None:
    """The user and the session's CSRF token, if the session is live."""
    with Session(db) as s:
        row = s.execute(select(User, WebSession.csrf).join(WebSession, WebSession.user_id == User.id)
                        .where(WebSession.token_hash == _digest(token), WebSession.expires_at > utcnow(),
                               User.disabled.is_(False))).first()
    return (_view(row[0]), row[1]) if row else None


def close_session(db: Engine, token: str) -> None:
    with Session(db) as s, s.begin():
        s.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def ensure_admin(site, db: Engine) -> None:
    """On a fresh install, the first admin account `admin`, with the password generated into the
    site's secrets file (key `console_admin`); `tongdai users passwd admin` changes it."""
    try:
        if count(db):
            return
        password = load_or_create(site.paths.secrets, ["console_admin"])["console_admin"]
        add_user(db, "admin", "admin", password, name="Administrator")
    except SQLAlchemyError as e:  # the console then refuses logins until the database is back
        log.error("cannot create the first admin: %s", str(e).splitlines()[0])
