"""Console accounts and sessions in the books: users with their password hashes, and logins.

Hashing is not done here: callers pass argon2 hashes in and get them back to verify. A session
is stored under the SHA-256 of its cookie token (never the token itself), with its CSRF token.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import User, WebSession


class AccountError(ValueError):
    """An account that cannot be made or changed as asked; the message says why (shown to people).
    `code` names the refusal for the pages' translated messages (e.g. "last_admin"), `values` its
    numbers or names ({"n": 10})."""

    def __init__(self, message: str, code: str = "", **values: str | int):
        super().__init__(message)
        self.code, self.values = code, values


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    name: str
    role: str
    extension: str | None
    language: str | None = None  # the console's language they chose; None: the default (Vietnamese)
    agency: str | None = None  # role agency: the key of the one agency they act for
    assignment: int | None = None  # a one-time link's session: the one assignment it may open (no account)

    def as_dict(self) -> dict[str, str | None]:
        return {"username": self.username, "name": self.name, "role": self.role, "extension": self.extension,
                "language": self.language, "agency": self.agency}


@dataclass(frozen=True)
class Credentials:
    """An enabled user and the password hash to check a login against."""
    user: UserView
    password_hash: str


def _view(u: User) -> UserView:
    return UserView(u.id, u.username, u.name, u.role, u.extension, u.language, u.agency)


def create_user(db: Engine, username: str, name: str, role: str, extension: str | None, password_hash: str,
                created_at: datetime, agency: str | None = None) -> UserView:
    """A new account; AccountError if the username is taken (the unique index decides, so two
    concurrent creations cannot both win)."""
    user = User(username=username, name=name, role=role, extension=extension, password_hash=password_hash,
                created_at=created_at, agency=agency)
    try:
        with Session(db) as s, s.begin():
            s.add(user)
            s.flush()
            return _view(user)
    except IntegrityError:
        raise AccountError(f"username: {username!r} already exists", "username_taken") from None


def replace_password(db: Engine, username: str, password_hash: str) -> None:
    """A new password hash; the user's sessions end with it (a stolen login does not outlive the
    change). AccountError if there is no such user."""
    with Session(db) as s, s.begin():
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise AccountError(f"no user {username!r}", "no_user")
        user.password_hash = password_hash
        s.execute(delete(WebSession).where(WebSession.user_id == user.id))


def set_language(db: Engine, user_id: int, language: str) -> None:
    """The console language this user chose (kept across logins)."""
    with Session(db) as s, s.begin():
        s.execute(update(User).where(User.id == user_id).values(language=language))


def upgrade_password_hash(db: Engine, user_id: int, old_hash: str, new_hash: str) -> None:
    """The same password under newer hashing parameters. Only if the hash is still `old_hash`:
    a password changed meanwhile is not overwritten with the old one."""
    with Session(db) as s, s.begin():
        s.execute(update(User).where(User.id == user_id, User.password_hash == old_hash)
                  .values(password_hash=new_hash))


def enabled_users(db: Engine) -> list[UserView]:
    """Accounts that may log in, by username."""
    with Session(db) as s:
        return [_view(u) for u in s.scalars(select(User).where(User.disabled.is_(False)).order_by(User.username))]


def count_users(db: Engine) -> int:
    """All accounts, disabled ones too (a fresh install has none)."""
    with Session(db) as s:
        return s.scalar(select(func.count()).select_from(User)) or 0


def credentials(db: Engine, username: str) -> Credentials | None:
    """The enabled user of this name and their password hash, or None."""
    with Session(db) as s:
        user = s.scalar(select(User).where(User.username == username, User.disabled.is_(False)))
        return Credentials(_view(user), user.password_hash) if user else None


def store_session(db: Engine, token_hash: str, user_id: int, csrf: str, now: datetime, expires_at: datetime) -> None:
    """A new login; logins expired by `now` are cleared out on the way."""
    with Session(db) as s, s.begin():
        s.execute(delete(WebSession).where(WebSession.expires_at < now))
        s.add(WebSession(token_hash=token_hash, user_id=user_id, csrf=csrf, created_at=now, expires_at=expires_at))


def session_user(db: Engine, token_hash: str, now: datetime) -> tuple[UserView, str] | None:
    """The (enabled) user of a session live at `now`, and the session's CSRF token."""
    with Session(db) as s:
        row = s.execute(select(User, WebSession.csrf).join(WebSession, WebSession.user_id == User.id)
                        .where(WebSession.token_hash == token_hash, WebSession.expires_at > now,
                               User.disabled.is_(False))).first()
    return (_view(row[0]), row[1]) if row else None


def drop_session(db: Engine, token_hash: str) -> None:
    with Session(db) as s, s.begin():
        s.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


@dataclass(frozen=True)
class Account:
    """A user as the administration page lists them: disabled ones too."""
    user: UserView
    disabled: bool
    created_at: datetime

    def as_dict(self) -> dict[str, str | bool | None]:
        return {**self.user.as_dict(), "disabled": self.disabled, "created_at": self.created_at.isoformat() + "Z"}


def accounts(db: Engine) -> list[Account]:
    """Every account, disabled ones too, by username."""
    with Session(db) as s:
        return [Account(_view(u), u.disabled, u.created_at) for u in s.scalars(select(User).order_by(User.username))]


def account(db: Engine, username: str) -> Account:
    """One account; AccountError (code no_user) if there is none."""
    with Session(db) as s:
        u = s.scalar(select(User).where(User.username == username))
        if u is None:
            raise AccountError(f"no user {username!r}", "no_user")
        return Account(_view(u), u.disabled, u.created_at)


def change_account(db: Engine, username: str, *, name: str | None = None, role: str | None = None,
                   extension: str | None = None, set_extension: bool = False,
                   disabled: bool | None = None, agency: str | None = None,
                   set_agency: bool = False) -> tuple[Account, Account]:
    """Change the given columns of one account (validated by the caller); returns (before, after).
    The last enabled admin keeps the admin role and stays enabled (checked in the same transaction).
    A disabled account's logins end."""
    with Session(db) as s, s.begin():
        u = s.scalar(select(User).where(User.username == username))
        if u is None:
            raise AccountError(f"no user {username!r}", "no_user")
        before = Account(_view(u), u.disabled, u.created_at)
        if name is not None:
            u.name = name
        if role is not None:
            u.role = role
        if set_extension:
            u.extension = extension
        if set_agency:
            u.agency = agency
        if disabled is not None:
            u.disabled = disabled
        if before.user.role == "admin" and not before.disabled and (u.role != "admin" or u.disabled):
            others = s.scalar(select(func.count()).select_from(User).where(
                User.role == "admin", User.disabled.is_(False), User.id != u.id)) or 0
            if not others:
                raise AccountError("the last admin must stay an enabled admin: make another admin first",
                                   "last_admin")
        if u.disabled:
            s.execute(delete(WebSession).where(WebSession.user_id == u.id))
        return before, Account(_view(u), u.disabled, u.created_at)
