"""Agencies and their contact points in SQL, with the history of every change.

The site file is the source of the site's own agencies: `sync` runs at engine start and brings
the tables to it (adds, updates, and marks inactive the agencies the site file once added and no
longer lists; nothing is deleted, since assignments and history name them). Agencies added by
`add` or a CSV import are left alone by `sync`. Every change writes an agency_history row
{what, before, after}. Reads return plain dataclasses.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.agency_settings import (
    AGENCY_KEY, KINDS, USERNAME, AgencyData, AgencySettings, Contact, email_problem, mobile_problem)
from db.agency_models import Agency, AgencyContact, AgencyHistory
from db.clock import utcnow

SITE_FILE = "site file"  # the actor of `sync`
CSV_COLUMNS = ("key", "name", "kind", "fields", "areas", "contact_name", "email", "mobile", "username", "head")


class AgencyError(ValueError):
    """Agency data refused; the message names what is wrong (row and column for a CSV)."""

    def __init__(self, message: str, code: str = "agency_invalid"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ContactView:
    id: int
    agency: str
    name: str
    email: str | None
    mobile: str | None
    username: str | None
    head: bool
    active: bool


@dataclass(frozen=True)
class AgencyView:
    key: str
    name: str
    kind: str
    fields: tuple[str, ...]
    areas: tuple[str, ...]  # () = the whole province
    active: bool
    updated_at: datetime
    contacts: tuple[ContactView, ...]  # active ones first, then by id

    def data(self) -> AgencyData:
        """As the settings type (its active contacts only)."""
        return AgencyData(self.key, self.name, self.kind, self.fields, self.areas,
                          tuple(Contact(c.name, c.email, c.mobile, c.username, c.head)
                                for c in self.contacts if c.active))


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    agency: str
    what: str  # agency added | agency changed | agency deactivated | contact added | contact changed | ...
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def every(db: Engine, active_only: bool = False) -> list[AgencyView]:
    """All agencies by key, with their contacts."""
    with Session(db) as s:
        stmt = select(Agency).order_by(Agency.key)
        if active_only:
            stmt = stmt.where(Agency.active.is_(True))
        agencies = list(s.scalars(stmt))
        contacts: dict[str, list[ContactView]] = {}
        for c in s.scalars(select(AgencyContact).order_by(AgencyContact.active.desc(), AgencyContact.id)):
            contacts.setdefault(c.agency, []).append(
                ContactView(c.id, c.agency, c.name, c.email, c.mobile, c.username, c.head, c.active))
        return [AgencyView(a.key, a.name, a.kind, tuple(json.loads(a.fields)), tuple(json.loads(a.areas)), a.active,
                           a.updated_at, tuple(contacts.get(a.key, ()))) for a in agencies]


def get(db: Engine, key: str) -> AgencyView | None:
    return next((a for a in every(db) if a.key == key), None)


def history(db: Engine, key: str) -> list[HistoryEntry]:
    """Every change to the agency and its contacts, oldest first."""
    with Session(db) as s:
        rows = s.scalars(select(AgencyHistory).where(AgencyHistory.agency == key).order_by(AgencyHistory.id))
        out = []
        for h in rows:
            change = json.loads(h.change)
            out.append(HistoryEntry(h.at, h.actor, h.agency, change["what"], change.get("before"), change.get("after")))
        return out


def contact_problem(c: Contact) -> tuple[str, str] | None:
    """(column, message) of a contact's first bad value."""
    if not c.name.strip() or len(c.name) > 128:
        return "contact_name", "must be 1-128 characters"
    if not c.email and not c.mobile:
        return "email", f"contact {c.name!r} needs an email address or a mobile number"
    if c.email and email_problem(c.email):
        return "email", f"{email_problem(c.email)}, got {c.email!r}"
    if c.mobile and mobile_problem(c.mobile):
        return "mobile", f"{mobile_problem(c.mobile)}, got {c.mobile!r}"
    if c.username and not USERNAME.match(c.username):
        return "username", f"must be a console login name (a-z, 0-9, _ . -), got {c.username!r}"
    return None


def agency_problem(a: AgencyData, fields: Collection[str] | None = None,
                   areas: Collection[str] | None = None) -> tuple[str, str] | None:
    """(column, message) of the first bad value (`fields`/`areas`: the site's keys; None: unchecked)."""
    if not AGENCY_KEY.match(a.key):
        return "key", f"must be a lower-case name (a-z, 0-9, _; at most 32), got {a.key!r}"
    if not a.name.strip() or len(a.name) > 255:
        return "name", "must be 1-255 characters"
    if a.kind not in KINDS:
        return "kind", f"must be one of {', '.join(KINDS)}, got {a.kind!r}"
    if not a.fields:
        return "fields", "must list at least one field"
    for column, values, known in (("fields", a.fields, fields), ("areas", a.areas, areas)):
        for v in values:
            if known is not None and v not in known:
                return column, f"unknown {column[:-1]} {v!r} (one of {', '.join(sorted(known))})"
        if len(set(values)) != len(values):
            return column, f"lists a {column[:-1]} twice"
    for c in a.contacts:
        problem = contact_problem(c)
        if problem:
            return problem
    if a.contacts and sum(c.head for c in a.contacts) != 1:
        return "head", f"agency {a.key!r} needs exactly one head contact (told when a case is overdue)"
    if len({c.name for c in a.contacts}) != len(a.contacts):
        return "contact_name", f"agency {a.key!r} lists a contact twice"
    return None


def add(db: Engine, agency: AgencyData, actor: str, fields: Collection[str] | None = None,
        areas: Collection[str] | None = None) -> AgencyView:
    """A new agency; AgencyError if its key is taken or a value is bad."""
    problem = agency_problem(agency, fields, areas)
    if problem:
        raise AgencyError(f"{problem[0]}: {problem[1]}")
    try:
        with Session(db) as s, s.begin():
            if s.scalar(select(Agency.id).where(Agency.key == agency.key)) is not None:
                raise AgencyError(f"key: agency {agency.key!r} already exists", "agency_exists")
            _save(s, agency, actor, utcnow())
    except IntegrityError:
        raise AgencyError(f"key: agency {agency.key!r} already exists", "agency_exists") from None
    found = get(db, agency.key)
    assert found is not None
    return found


def sync(db: Engine, settings: AgencySettings, actor: str = SITE_FILE) -> int:
    """Bring the tables to the site's agencies; the number of history rows written. Two engines
    starting together: the loser of the unique key retries once and then finds nothing to do."""
    for attempt in (1, 2):
        try:
            with Session(db) as s, s.begin():
                now, written = utcnow(), 0
                for a in settings.agencies:
                    written += _save(s, a, actor, now)
                listed = {a.key for a in settings.agencies}
                for row in s.scalars(select(Agency).where(Agency.active.is_(True))):
                    if row.key not in listed and _added_by(s, row.key) == actor:
                        row.active, row.updated_at = False, now
                        written += _log(s, now, actor, row.key, "agency deactivated", {"active": True},
                                        {"active": False})
                return written
        except IntegrityError:
            if attempt == 2:
                raise
    return 0


def import_csv(db: Engine, rows: Sequence[Mapping[str, str | None]], actor: str,
               fields: Collection[str] | None = None, areas: Collection[str] | None = None,
               first_row: int = 2) -> list[str]:
    """Agencies from CSV rows (one contact per row; rows of one key make one agency), added or
    updated. All or nothing: a bad row raises AgencyError "row N, column C: ..." and writes nothing.
    Row numbers are the file's lines (the header is row 1)."""
    agencies = agencies_from_rows(rows, fields, areas, first_row)
    with Session(db) as s, s.begin():
        now = utcnow()
        for a in agencies:
            _save(s, a, actor, now)
    return [a.key for a in agencies]


def agencies_from_rows(rows: Sequence[Mapping[str, str | None]], fields: Collection[str] | None,
                       areas: Collection[str] | None, first_row: int = 2) -> list[AgencyData]:
    order: list[str] = []
    heads: dict[str, tuple[int, dict[str, Any]]] = {}  # key -> (first row, agency values)
    contacts: dict[str, list[tuple[int, Contact]]] = {}
    for n, row in enumerate(rows, first_row):
        missing = [c for c in CSV_COLUMNS[:5] if c not in row]
        if missing:
            raise AgencyError(f"row {n}: no column {missing[0]!r} (columns: {', '.join(CSV_COLUMNS)})")
        cell = {c: (row.get(c) or "").strip() for c in CSV_COLUMNS}
        key = cell["key"]
        values = {"name": cell["name"], "kind": cell["kind"], "fields": tuple(cell["fields"].replace(",", " ").split()),
                  "areas": tuple(cell["areas"].replace(",", " ").split())}
        if key not in heads:
            order.append(key)
            heads[key] = (n, values)
        else:
            first, known = heads[key]
            for column, v in values.items():
                if v and v != known[column]:
                    raise AgencyError(f"row {n}, column {column}: differs from row {first} for agency {key!r}")
        if cell["contact_name"]:
            head = cell["head"].lower()
            if head not in ("", "0", "no", "false", "1", "yes", "true", "x", "có", "không"):
                raise AgencyError(f"row {n}, column head: must be yes or no, got {cell['head']!r}")
            contacts.setdefault(key, []).append((n, Contact(
                cell["contact_name"], cell["email"] or None, cell["mobile"] or None, cell["username"] or None,
                head in ("1", "yes", "true", "x", "có"))))
        elif any(cell[c] for c in ("email", "mobile", "username", "head")):
            raise AgencyError(f"row {n}, column contact_name: a contact needs a name")
    out = []
    for key in order:
        first, top = heads[key]
        listed = contacts.get(key, [])
        for n, c in listed:  # a contact's own error names its own row
            problem = contact_problem(c)
            if problem:
                raise AgencyError(f"row {n}, column {problem[0]}: {problem[1]}")
        data = AgencyData(key, top["name"], top["kind"], top["fields"], top["areas"], tuple(c for _, c in listed))
        problem = agency_problem(data, fields, areas)
        if problem:
            raise AgencyError(f"row {first}, column {problem[0]}: {problem[1]}")
        out.append(data)
    return out


def _agency_dict(a: AgencyData) -> dict[str, Any]:
    return {"name": a.name, "kind": a.kind, "fields": list(a.fields), "areas": list(a.areas)}


def _contact_dict(c: AgencyContact | Contact) -> dict[str, Any]:
    return {"name": c.name, "email": c.email, "mobile": c.mobile, "username": c.username, "head": c.head}


def _log(s: Session, at: datetime, actor: str, key: str, what: str, before: dict[str, Any] | None,
         after: dict[str, Any] | None) -> int:
    s.add(AgencyHistory(at=at, actor=actor[:64], agency=key, change=json.dumps(
        {"what": what, "before": before, "after": after}, ensure_ascii=False)))
    return 1


def _added_by(s: Session, key: str) -> str | None:
    first = s.scalar(select(AgencyHistory).where(AgencyHistory.agency == key).order_by(AgencyHistory.id).limit(1))
    return first.actor if first is not None and json.loads(first.change)["what"] == "agency added" else None


def _save(s: Session, a: AgencyData, actor: str, now: datetime) -> int:
    """Insert or update one agency and its contacts (contacts matched by name); history rows written."""
    written = 0
    row = s.scalar(select(Agency).where(Agency.key == a.key))
    new = _agency_dict(a)
    if row is None:
        s.add(Agency(key=a.key, name=a.name, kind=a.kind, fields=json.dumps(list(a.fields)),
                     areas=json.dumps(list(a.areas)), active=True, updated_at=now))
        s.flush()  # the unique key decides between two writers now, not at commit
        written += _log(s, now, actor, a.key, "agency added", None,
                        {**new, "contacts": [asdict(c) for c in a.contacts]})
    else:
        old = {"name": row.name, "kind": row.kind, "fields": json.loads(row.fields), "areas": json.loads(row.areas),
               "active": row.active}
        changed = [k for k in old if old[k] != {**new, "active": True}[k]]
        if changed:
            row.name, row.kind, row.active, row.updated_at = a.name, a.kind, True, now
            row.fields, row.areas = json.dumps(new["fields"]), json.dumps(new["areas"])
            written += _log(s, now, actor, a.key, "agency changed", {k: old[k] for k in changed},
                            {k: {**new, "active": True}[k] for k in changed})
    existing = {c.name: c for c in s.scalars(select(AgencyContact).where(AgencyContact.agency == a.key))}
    for c in a.contacts:
        had = existing.pop(c.name, None)
        if had is None:
            s.add(AgencyContact(agency=a.key, name=c.name, email=c.email, mobile=c.mobile, username=c.username,
                                head=c.head, active=True))
            if row is not None:  # a new agency's contacts are in its "agency added" row
                written += _log(s, now, actor, a.key, "contact added", None, _contact_dict(c))
        elif _contact_dict(had) != _contact_dict(c) or not had.active:
            before = {**_contact_dict(had), "active": had.active}
            had.email, had.mobile, had.username, had.head, had.active = c.email, c.mobile, c.username, c.head, True
            written += _log(s, now, actor, a.key, "contact changed", before, {**_contact_dict(c), "active": True})
    for gone in existing.values():
        if gone.active:
            gone.active = False
            written += _log(s, now, actor, a.key, "contact deactivated", _contact_dict(gone), None)
    if written and row is not None:
        row.updated_at = now
    return written
