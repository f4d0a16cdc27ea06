"""`tongdai agencies list|add|import|history`: the agencies reports are forwarded to.

The site file's agencies are brought into the database first (as the engine does at start), so
the list is what the console sees. Bad input: one line naming what is wrong, exit code 2.
"""
from __future__ import annotations

import csv
import getpass
import json
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config import Site
from config.agency_settings import KINDS, AgencyData, Contact
from db.queries import agencies as agency_db
from tongdai.acd_cli import open_db


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return "cli"


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (text or "").replace(",", " ").split() if x)


def _list(db: Any) -> None:
    rows = [(a.key + ("" if a.active else " (inactive)"), a.name, a.kind, ",".join(a.fields),
             ",".join(a.areas) or "*", _contacts(a)) for a in agency_db.every(db)]
    header = ("key", "name", "kind", "fields", "areas", "contacts")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1])


def _contacts(a: agency_db.AgencyView) -> str:
    active = [c for c in a.contacts if c.active]
    head = next((c.name for c in active if c.head), None)
    return f"{len(active)}" + (f" (head: {head})" if head else "")


def _history(site: Site, db: Any, key: str) -> None:
    tz = ZoneInfo(site.timezone)
    for h in agency_db.history(db, key):
        at = h.at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).strftime("%Y-%m-%d %H:%M")

        def show(v: dict[str, Any] | None) -> str:
            return json.dumps(v, ensure_ascii=False) if v is not None else "-"
        print(f"{at}  {h.actor}  {h.what}: {show(h.before)} -> {show(h.after)}")


def _read_csv(name: str) -> list[dict[str, str | None]]:
    try:
        with Path(name).open(encoding="utf-8-sig", newline="") as f:  # utf-8-sig: spreadsheets add a BOM
            return list(csv.DictReader(f))
    except FileNotFoundError:
        raise agency_db.AgencyError(f"{name}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise agency_db.AgencyError(f"{name}: not a UTF-8 CSV file ({e})") from None


def cmd_agencies(site: Site, args: Any) -> int:
    fields, areas = [f.key for f in site.fields], [a.key for a in site.areas]
    try:
        rows = _read_csv(args.file) if args.action == "import" else []
        db = open_db(site)
        agency_db.sync(db, site.agencies)
        if args.action == "list":
            _list(db)
        elif args.action == "add":
            contacts = ()
            if args.contact_name or args.email or args.mobile or args.username:
                contacts = (Contact(args.contact_name or "", args.email, args.mobile, args.username, head=True),)
            a = agency_db.add(db, AgencyData(args.key, args.name, args.kind, _split(args.fields), _split(args.areas),
                                             contacts), _actor(), fields, areas)
            print(f"agency {a.key} ({a.name}) added")
        elif args.action == "import":
            if not rows:
                raise agency_db.AgencyError(f"{args.file}: no rows (columns: {', '.join(agency_db.CSV_COLUMNS)})")
            keys = agency_db.import_csv(db, rows, _actor(), fields, areas)
            print(f"{len(keys)} agencies imported from {args.file}: {', '.join(keys)}")
        elif args.action == "history":
            if agency_db.get(db, args.key) is None:
                raise agency_db.AgencyError(f"no agency {args.key!r} (`tongdai agencies list`)")
            _history(site, db, args.key)
    except agency_db.AgencyError as e:
        print(f"tongdai: agencies {args.action}: {e}", file=sys.stderr)
        return 2
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("agencies", help="the agencies reports are forwarded to: list, add, import, history")
    a = p.add_subparsers(dest="action", required=True)
    a.add_parser("list", help="agencies with their kind, fields, areas and contacts")
    add = a.add_parser("add", help="a new agency (its head contact optional)")
    add.add_argument("--key", required=True, help="short name, a-z 0-9 _ (e.g. dawaco)")
    add.add_argument("--name", required=True, help="full name in Vietnamese")
    add.add_argument("--kind", required=True, choices=KINDS, help="what sort of body it is")
    add.add_argument("--fields", required=True, help="report fields it handles, comma-separated (e.g. water)")
    add.add_argument("--areas", default="", help="areas it covers, comma-separated (default: the whole province)")
    add.add_argument("--contact-name", help="its head contact point: full name")
    add.add_argument("--email", help="the contact's email address")
    add.add_argument("--mobile", help="the contact's mobile number (0905123456 or +84905123456)")
    add.add_argument("--username", help="the contact's console login (role agency)")
    imp = a.add_parser("import", help="add or update agencies from a CSV file (all rows or none)")
    imp.add_argument("file", help="UTF-8 CSV with columns " + ", ".join(agency_db.CSV_COLUMNS)
                     + " (one contact per row; fields and areas space-separated)")
    h = a.add_parser("history", help="every change to one agency and its contacts, who and when")
    h.add_argument("key", help="the agency's key")
    p.set_defaults(func=cmd_agencies)
