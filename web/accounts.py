"""Console accounts and sessions: argon2 password hashes, server-side sessions.

A session cookie carries a random token; the database keeps only its SHA-256, the user
and the session's CSRF token. A login lasts one shift (12 hours). The rules (who may have
which name, role, password) and the hashing live here; the storage in `db.queries.accounts`.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from config import Site
from config.secrets import load_or_create
from db.queries import accounts as stored
from db.queries import agencies as stored_agencies
from db.queries import agency_links
from db.queries.accounts import AccountError, UserView
from db.types import Database, DatabaseUnavailable
from db.clock import utcnow

log = logging.getLogger("tongdai.web")

ROLES = ("agent", "supervisor", "callback", "leader", "admin", "agency")
NEEDS_EXTENSION = ("agent", "supervisor", "callback")
SESSION_HOURS = 12
LINK_SESSION_HOURS = 2  # what a one-time link opens: one assignment, for this long
MIN_PASSWORD = 10
USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,31}")
# OWASP's argon2id setting (19 MiB, 2 passes, 1 lane): the library's default takes 64 MiB per
# login, and a shift's agents logging in at once made the engine's memory jump by that much each.
# Older hashes still verify with their own settings and are rehashed at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@functools.cache
def _dummy() -> str:
    """A hash for unknown users, so they cost the same time as known ones (made at first use)."""
    return _hasher.hash("tongdai-not-a-user")

# AccountError and UserView are defined with the storage; they stay importable from here
__all__ = ["AccountError", "UserView", "ROLES", "NEEDS_EXTENSION", "SESSION_HOURS", "MIN_PASSWORD", "USERNAME",
           "check_password", "check_role", "check_name", "add_user", "change_user", "every_account", "set_password",
           "users", "count", "authenticate", "open_session", "session_user", "close_session", "ensure_admin",
           "valid_agency", "open_link_session", "LINK_SESSION_HOURS"]


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters", "password_short", n=MIN_PASSWORD)


def check_role(role: str, extension: str | None, agency: str | None = None) -> None:
    """The role exists, a role that answers calls has its agent/supervisor number, and an agency
    user has its agency's key (and nobody else has one)."""
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}", "role_unknown")
    if role == "agency" and not agency:
        raise AccountError("agency: an agency user needs the key of their agency", "agency_needed")
    if role != "agency" and agency:
        raise AccountError("agency: only an agency user has an agency", "agency_not_allowed")
    if extension is not None and not (extension.isdigit() and len(extension) <= 16):
        raise AccountError("extension: digits only", "extension_digits")
    if role in NEEDS_EXTENSION and not extension:
        raise AccountError(f"extension: a {role} needs their agent/supervisor number (digits)", "extension_needed",
                           role=role)


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 128:
        raise AccountError("name: 1-128 characters", "name_length")
    return name


def add_user(db: Database, username: str, role: str, password: str, extension: str | None = None,
             name: str | None = None, agency: str | None = None) -> UserView:
    if not USERNAME.fullmatch(username):
        raise AccountError("username: 2-32 of a-z 0-9 _ . - (starting with a letter or digit)", "username_format")
    check_role(role, extension, agency)
    if agency and not valid_agency(db, agency):
        raise AccountError(f"agency: no active agency {agency!r}", "agency_unknown", agency=agency)
    check_password(password)
    return stored.create_user(db, username, check_name(name) if name else username, role, extension,
                              _hasher.hash(password), utcnow(), agency)


def valid_agency(db: Database, key: str) -> bool:
    """An agency of this key exists and is active (an agency user of another is refused)."""
    found = stored_agencies.get(db, key)
    return found is not None and found.active


def change_user(db: Database, actor: str, username: str, *, name: str | None = None, role: str | None = None,
                extension: str | None = None, set_extension: bool = False,
                disabled: bool | None = None, agency: str | None = None,
                set_agency: bool = False) -> tuple[stored.Account, stored.Account]:
    """An admin changes an account (name, role, extension, agency, disabled) under add_user's rules;
    nobody disables themselves, and the last admin stays one. Returns (before, after)."""
    if disabled and actor == username:
        raise AccountError("you cannot disable your own account", "self_disable")
    if name is not None:
        name = check_name(name)
    if role is not None or set_extension or set_agency:
        current = stored.account(db, username).user
        new_role = role or current.role
        if not set_agency and new_role != "agency":
            agency, set_agency = None, current.agency is not None  # leaving the agency role drops the agency
        check_role(new_role, extension if set_extension else current.extension,
                   agency if set_agency else current.agency)
        if set_agency and agency and agency != current.agency and not valid_agency(db, agency):
            raise AccountError(f"agency: no active agency {agency!r}", "agency_unknown", agency=agency)
    return stored.change_account(db, username, name=name, role=role, extension=extension,
                                 set_extension=set_extension, disabled=disabled, agency=agency,
                                 set_agency=set_agency)


def every_account(db: Database) -> list[stored.Account]:
    """Every account, disabled ones too (the administration page)."""
    return stored.accounts(db)


def set_password(db: Database, username: str, password: str) -> None:
    """A new password; the user's other logins end."""
    check_password(password)
    stored.replace_password(db, username, _hasher.hash(password))


def users(db: Database) -> list[UserView]:
    return stored.enabled_users(db)


def count(db: Database) -> int:
    return stored.count_users(db)


def authenticate(db: Database, username: str, password: str) -> UserView | None:
    found = stored.credentials(db, username)
    try:
        _hasher.verify(found.password_hash if found else _dummy(), password)
    except (VerificationError, InvalidHashError):
        return None
    if found is None:
        return None
    if _hasher.check_needs_rehash(found.password_hash):
        stored.upgrade_password_hash(db, found.user.id, found.password_hash, _hasher.hash(password))
    return found.user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Database, user: UserView) -> tuple[str, str]:
    """A new login: (the cookie's token, the session's CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = utcnow()
    stored.store_session(db, _digest(token), user.id, csrf, now, now + timedelta(hours=SESSION_HOURS))
    return token, csrf


def _link_digest(token: str) -> str:
    """A one-time link's session is stored under another hash than a link's token: the token in
    an email can never be replayed as a session cookie."""
    return hashlib.sha256(f"link-session:{token}".encode()).hexdigest()


def session_user(db: Database, token: str) -> tuple[UserView, str] | None:
    """The user and the session's CSRF token, if the session is live: a login, or the short
    session a one-time link opened (an agency user limited to one assignment, no account)."""
    now = utcnow()
    found = stored.session_user(db, _digest(token), now)
    if found is not None:
        return found
    link = agency_links.link_session(db, _link_digest(token), now)
    if link is None:
        return None
    name = link.contact_name or f"#{link.assignment_id}"
    user = UserView(0, link.contact_username or f"link-{link.assignment_id}", name, "agency", None, None,
                    link.agency, link.assignment_id)
    # no CSRF column for it: derived from the secret cookie, which a forging page cannot read
    return user, hashlib.sha256(f"link-csrf:{token}".encode()).hexdigest()[:32]


def open_link_session(db: Database, use: agency_links.LinkUse) -> str:
    """The cookie's token of the session a spent one-time link opens."""
    token = secrets.token_urlsafe(32)
    agency_links.open_link_session(db, use, _link_digest(token), utcnow(), LINK_SESSION_HOURS)
    return token


def close_session(db: Database, token: str) -> None:
    stored.drop_session(db, _digest(token))
    agency_links.end_link_session(db, _link_digest(token), utcnow())


def ensure_admin(site: Site, db: Database) -> None:
    """On a fresh install, the first admin account `admin`, with the password generated into the
    site's secrets file (key `console_admin`); `tongdai users passwd admin` changes it."""
    try:
        if count(db):
            return
        password = load_or_create(site.paths.secrets, ["console_admin"])["console_admin"]
        add_user(db, "admin", "admin", password, name="Administrator")
    except DatabaseUnavailable as e:  # the console then refuses logins until the database is back
        log.error("cannot create the first admin: %s", str(e).splitlines()[0])
