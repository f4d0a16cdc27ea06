"""`tongdai tickets list|show`: the site's tickets and each call's timeline."""
from __future__ import annotations

import json
from datetime import datetime

from db import store
from config import ConfigError, Site
from config.local_time import parse_moment, show


def _since(site: Site, text: str | None) -> datetime | None:
    """'31/12/2026 08:00' or '2026-12-31' (site time), or a span like '2h', '30m', '7d' back from now."""
    if not text:
        return None
    try:
        return parse_moment(text, site.timezone)
    except ValueError as e:
        raise ConfigError("--since", "since", str(e)) from None


def _local(site: Site, iso: str | None) -> str:
    return show(datetime.fromisoformat(iso) if iso else None, site.timezone, seconds=True)


def _detail(detail: dict | None) -> str:
    return " ".join(f"{k}={v}" for k, v in (detail or {}).items())


def cmd_tickets(site: Site, args) -> int:
    engine = store.connect(site.paths.database_url)
    store.migrate(engine)
    try:
        if args.action == "list":
            tickets = [store.as_dict(t) for t in store.list_tickets(engine, _since(site, args.since), args.field)]
            if args.json:
                print(json.dumps(tickets, ensure_ascii=False, indent=1))
                return 0
            print(f"{'code':<18} {'created':<19} {'kind':<11} {'field':<12} {'service':<7} {'status':<12} caller")
            for t in tickets:
                print(f"{t['code']:<18} {_local(site, t['created_at']):<19} {t['kind'] or '-':<11} "
                      f"{t['field'] or '-':<12} {t['service'] or '-':<7} {t['status']:<12} "
                      f"{t['caller_number'] or '-'} {t['caller_name'] or ''}".rstrip())
            print(f"{len(tickets)} ticket(s)")
            return 0
        ticket = store.get_ticket(engine, args.code)
        if ticket is None:
            print(f"no ticket {args.code}")
            return 1
        t = store.as_dict(ticket)
        if args.json:
            print(json.dumps(t, ensure_ascii=False, indent=1))
            return 0
        print(f"Ticket {t['code']}  kind={t['kind'] or '-'} field={t['field'] or '-'} "
              f"service={t['service'] or '-'} status={t['status']}")
        print(f"Caller {t['caller_number'] or '-'} {t['caller_name'] or ''}  call {t['uniqueid']}  "
              f"language {t['language']}  queue {t['queue'] or '-'}")
        for e in t["events"]:
            print(f"  {_local(site, e['at'])}  {e['kind']:<12} {_detail(e['detail'])}")
        return 0
    finally:
        engine.dispose()


def add_parser(sub) -> None:
    p = sub.add_parser("tickets", help="list tickets, show one call's timeline")
    tsub = p.add_subparsers(dest="action", required=True)
    ls = tsub.add_parser("list", help="tickets, oldest first")
    ls.add_argument("--since", help="dd/mm/yyyy [HH:MM] (site time) or a span back from now: 30m, 2h, 7d")
    ls.add_argument("--field", help="only tickets of this field (trees, water, ...)")
    ls.add_argument("--json", action="store_true", help="a JSON array of tickets with their events")
    show = tsub.add_parser("show", help="one ticket's timeline")
    show.add_argument("code", help="ticket code, e.g. 1022-261203-0042")
    show.add_argument("--json", action="store_true", help="the ticket and its events as JSON")
    p.set_defaults(func=cmd_tickets)
