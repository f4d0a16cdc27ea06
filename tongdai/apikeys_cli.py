"""`tongdai apikeys add NAME | list | revoke NAME`: the Open311 clients' API keys (a province's
back-office system posting service requests to /open311/v2/requests.json).

The key is printed once, by `add`; only its SHA-256 is stored, so a lost key is revoked and a new
one issued under another name. Bad input: one line naming what is wrong, exit code 2.
"""
from __future__ import annotations

import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from config import Site
from db.queries import api_keys
from tongdai.acd_cli import open_db


def _local(site: Site, at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(site.timezone)).strftime("%d/%m/%Y %H:%M")


def _list(site: Site, db: Any) -> None:
    rows = [(k.name, "active" if k.active else "revoked", _local(site, k.created_at), _local(site, k.last_used_at),
             _local(site, k.revoked_at)) for k in api_keys.every(db)]
    header = ("name", "state", "created", "last used", "revoked")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def cmd_apikeys(site: Site, args: Any) -> int:
    db = open_db(site)
    try:
        if args.action == "list":
            _list(site, db)
        elif args.action == "add":
            key = api_keys.add(db, args.name)
            print(f"API key for {args.name} (shown once; only its hash is kept):")
            print(key)
        elif args.action == "revoke":
            api_keys.revoke(db, args.name)
            print(f"API key of {args.name} revoked: its requests are refused from now on")
    except api_keys.ApiKeyError as e:
        print(f"tongdai: apikeys {args.action}: {e}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("apikeys", help="Open311 clients' API keys: add, list, revoke")
    a = p.add_subparsers(dest="action", required=True)
    add = a.add_parser("add", help="a new key for a client (printed once)")
    add.add_argument("name", help="the client's name: lower-case letters, digits, . _ - (e.g. sotnmt-backoffice)")
    a.add_parser("list", help="every key: state, created, last used, revoked")
    rv = a.add_parser("revoke", help="refuse a client's key from now on")
    rv.add_argument("name", help="the client's name")
    p.set_defaults(func=cmd_apikeys)
