"""The site's agencies: `[agencies]` in the site file (office hours, one-time link lifetime, and
`file`: the agencies' own TOML with `[[agencies]]`, `[[routes]]`, `[[policies]]`).

An error inside the agencies file names that file, e.g.
``sites/demo-agencies.toml: policies[2].deadline: must be like "3 working days", ... got 'soon'``.
A bare file name is looked up next to the site file, then among the data shipped in `sites/`
(so that a copy of the demo site elsewhere still finds the demo agencies).
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from config.agency_settings import (
    AGENCY_KEY, DEADLINE_FORMS, KINDS, USERNAME, AgencyData, AgencySettings, Contact, Deadline, DeadlinePolicy, Route,
    email_problem, mobile_problem, parse_deadline)
from config.reader import ConfigError, Table, between, matches
from config.settings import ROOT, Label, ReportField

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(t: Table) -> tuple[tuple[int, int], ...]:
    from config.site_file import parse_hours  # the site file's own hours syntax (imported late: it imports us)
    texts = t.get("office_hours", list, ["07:30-11:30", "13:30-17:00"])
    out: list[tuple[int, int]] = []
    for text in texts:
        parsed = parse_hours(text) if isinstance(text, str) else "must be a string"
        if not isinstance(parsed, tuple):
            raise t.fail("office_hours", f'each must be "HH:MM-HH:MM" ({parsed}), got {text!r}')
        if out and parsed[0] < out[-1][1]:
            raise t.fail("office_hours", f"must be in order without overlaps, got {texts!r}")
        out.append(parsed)
    if not out:
        raise t.fail("office_hours", "must list at least one period")
    return tuple(out)


def _days(t: Table) -> tuple[int, ...]:
    names = t.get("office_days", list, list(WEEKDAYS[:5]))
    if not names or any(n not in WEEKDAYS for n in names) or len(set(names)) != len(names):
        raise t.fail("office_days", f"must be distinct days among {', '.join(WEEKDAYS)}, got {names!r}")
    return tuple(sorted(WEEKDAYS.index(n) for n in names))


def _deadline(t: Table, name: str, default: Any = ...) -> Deadline:
    text = t.get(name, str, default)
    d = parse_deadline(text) if isinstance(text, str) else None
    if d is None:
        raise t.fail(name, f"must be like {DEADLINE_FORMS}, got {text!r}")
    return d


def _find(site_dir: Path, name: str) -> Path:
    path = (site_dir / name).resolve()
    if not path.exists() and Path(name).name == name and (ROOT / "sites" / name).exists():
        path = ROOT / "sites" / name
    return path


def read_agencies(top: Table, site_dir: Path, fields: tuple[ReportField, ...],
                  areas: tuple[Label, ...]) -> AgencySettings:
    t = top.table("agencies")
    if not t.data:
        return AgencySettings()  # a site without agencies: nothing to forward to
    office_hours, office_days = _hours(t), _days(t)
    link_hours = t.get("link_hours", int, 72, between(1, 24 * 30))
    name = t.get("file", str)
    t.done()
    path = _find(site_dir, name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(top.file, "agencies.file", f"no such file {str(path)!r}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, "-", f"not valid TOML: {e}") from None
    return read_agencies_data(path, data, fields, areas, office_hours, office_days, link_hours)


def read_agencies_data(path: Path, data: dict[str, Any], fields: tuple[ReportField, ...], areas: tuple[Label, ...],
                       office_hours: tuple[tuple[int, int], ...] = AgencySettings.office_hours,
                       office_days: tuple[int, ...] = AgencySettings.office_days,
                       link_hours: int = 72) -> AgencySettings:
    """The agencies file's content, checked against the site's fields and areas."""
    top = Table(path, data)
    default = _deadline(top, "default_deadline", "5 working days")
    top.seen.update({"agencies", "routes", "policies"})
    field_keys, area_keys = {f.key for f in fields}, {a.key for a in areas}
    agencies = _read_list(path, data, "agencies", lambda t: _agency(t, field_keys, area_keys))
    by_key: dict[str, AgencyData] = {}
    for i, a in enumerate(agencies):
        if a.key in by_key:
            raise ConfigError(path, f"agencies[{i}].key", f"duplicate agency {a.key!r}")
        by_key[a.key] = a
    routes = _read_list(path, data, "routes", lambda t: _route(t, field_keys, area_keys, by_key))
    for i, r in enumerate(routes):
        if any((r.field, r.area) == (o.field, o.area) for o in routes[:i]):
            raise ConfigError(path, f"routes[{i}]", f"a second route for field {r.field!r} in area {r.area!r}")
    policies = _read_list(path, data, "policies", lambda t: _policy(t, field_keys, by_key))
    for i, p in enumerate(policies):
        if any((p.field, p.agency) == (o.field, o.agency) for o in policies[:i]):
            who = f" and agency {p.agency!r}" if p.agency else ""
            raise ConfigError(path, f"policies[{i}]", f"a second policy for field {p.field!r}{who}")
    top.done()
    for f in fields:
        if not any(f.key in a.fields for a in agencies):
            raise ConfigError(path, "agencies", f"every field needs at least one agency: none handles {f.key!r}")
    return AgencySettings(tuple(agencies), tuple(routes), tuple(policies), office_hours, office_days, default,
                          link_hours)


def _read_list(path: Path, data: dict[str, Any], name: str, read: Any) -> list[Any]:
    items = data.get(name, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError(path, name, f"must be an array of tables ([[{name}]])")
    out = []
    for i, item in enumerate(items):
        t = Table(path, item, f"{name}[{i}].")
        out.append(read(t))
        t.done()
    return out


def _keys(t: Table, name: str, known: set[str], what: str, default: Any = ...) -> tuple[str, ...]:
    values = t.get(name, list, default)
    for v in values:
        if v not in known:
            raise t.fail(name, f"unknown {what} {v!r} (one of {', '.join(sorted(known))})")
    if len(set(values)) != len(values):
        raise t.fail(name, f"lists a {what} twice, got {values!r}")
    return tuple(values)


def _agency(t: Table, fields: set[str], areas: set[str]) -> AgencyData:
    key = t.get("key", str, check=matches(AGENCY_KEY, "a lower-case name (a-z, 0-9, _)"))
    name = t.get("name", str, check=lambda v: None if v.strip() and len(v) <= 255 else "must be 1-255 characters")
    kind = t.get("kind", str, check=lambda v: None if v in KINDS else f"must be one of {', '.join(KINDS)}")
    handles = _keys(t, "fields", fields, "field")
    if not handles:
        raise t.fail("fields", "must list at least one field")
    covers = _keys(t, "areas", areas, "area", [])  # [] = the whole province
    items = t.get("contacts", list, [])
    contacts = []
    for i, item in enumerate(items):
        ct = Table(t.file, item if isinstance(item, dict) else {}, t.key(f"contacts[{i}]."))
        contacts.append(_contact(ct))
        ct.done()
    if contacts and sum(c.head for c in contacts) != 1:
        raise t.fail("contacts", "exactly one contact must be the head (head = true): told when a case is overdue")
    for i, c in enumerate(contacts):
        if c.username and c.username in {o.username for o in contacts[:i]}:
            raise t.fail(f"contacts[{i}].username", f"duplicate username {c.username!r}")
    return AgencyData(key, name, kind, handles, covers, tuple(contacts))


def _contact(c: Table) -> Contact:
    contact = Contact(
        name=c.get("name", str, check=lambda v: None if v.strip() and len(v) <= 128 else "must be 1-128 characters"),
        email=c.get("email", str, None, email_problem), mobile=c.get("mobile", str, None, mobile_problem),
        username=c.get("username", str, None, matches(USERNAME, "a console login name (a-z, 0-9, _ . -)")),
        head=c.get("head", bool, False))
    if not contact.email and not contact.mobile:
        raise c.fail("email", "a contact needs an email address or a mobile number (to be notified)")
    return contact


def _route(t: Table, fields: set[str], areas: set[str], agencies: dict[str, AgencyData]) -> Route:
    r = Route(_one(t, "field", fields, "field"), _one(t, "area", areas | {"*"}, "area"),
              _one(t, "agency", set(agencies), "agency"))
    a = agencies[r.agency]
    if r.field not in a.fields:
        raise t.fail("agency", f"{r.agency!r} does not handle field {r.field!r} (its fields: {', '.join(a.fields)})")
    if a.areas and r.area == "*":
        raise t.fail("area", f'"*" (any area) needs an agency covering the whole province; {r.agency!r} covers '
                             f"{', '.join(a.areas)}")
    if a.areas and r.area not in a.areas:
        raise t.fail("agency", f"{r.agency!r} does not cover area {r.area!r} (its areas: {', '.join(a.areas)})")
    return r


def _policy(t: Table, fields: set[str], agencies: dict[str, AgencyData]) -> DeadlinePolicy:
    field = _one(t, "field", fields, "field")
    agency = _one(t, "agency", set(agencies), "agency") if "agency" in t.data else None
    if agency and field not in agencies[agency].fields:
        raise t.fail("agency", f"{agency!r} does not handle field {field!r}")
    return DeadlinePolicy(field, _deadline(t, "deadline"), agency)


def _one(t: Table, name: str, known: set[str], what: str) -> str:
    value: str = t.get(name, str)
    if value not in known:
        raise t.fail(name, f"unknown {what} {value!r} (one of {', '.join(sorted(known))})")
    return value
