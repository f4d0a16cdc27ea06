"""`tongdai recordings verify|purge|export` and `tongdai callbacks list|claim|dial|outcome`."""
from __future__ import annotations

import asyncio
from pathlib import Path

from acd import callbacks
from acd.desk import AgentDesk
from acd.service import ami_client
from recordings import audit
from tongdai.acd_cli import CliError, open_db
from config import Site
from config.local_time import show


def cmd_recordings(site: Site, args) -> int:
    db = open_db(site)
    if args.action == "verify":
        r = audit.verify(site, db)
        for title, items in (("missing", r.missing), ("corrupt", r.corrupt), ("orphaned", r.orphaned),
                             ("flagged", r.flagged)):
            for item in items:
                print(f"{title:<9} {item}")
        print(f"{r.ok} ok, {len(r.missing)} missing, {len(r.corrupt)} corrupt, {len(r.orphaned)} orphaned, "
              f"{len(r.flagged)} flagged")
        return 0 if r.clean else 1
    if args.action == "purge":
        removed, kept = audit.purge(site, db)
        for path in removed:
            print(f"removed {path}")
        for item in kept:
            print(f"kept    {item}")
        print(f"{len(removed)} removed (older than {site.retention_days} days), {len(kept)} kept: open tickets")
        return 0
    copies = audit.export(site, db, args.code, Path(args.out), args.actor)
    for c in copies:
        print(f"exported {c}")
    if not copies:
        raise CliError(f"no recordings for ticket {args.code}")
    return 0


async def _callbacks(site: Site, args) -> int:
    db = open_db(site)
    if args.action == "list":
        print(f"{'id':>4} {'ticket':<18} {'number':<12} {'due':<16} {'tries':>5} {'state':<11} agent")
        for c in callbacks.listing(db):
            print(f"{c.id:>4} {c.ticket:<18} {c.number:<12} {show(c.due_at, site.timezone):<16} {c.attempts:>5} "
                  f"{c.state:<11} {c.claimed_by or ''}".rstrip())
        return 0
    if args.action == "claim":
        if not callbacks.claim(db, args.id, args.agent):
            raise CliError(f"callback {args.id} is not pending (already claimed or closed)")
        print(f"callback {args.id} claimed by agent {args.agent}")
        return 0
    if args.action == "outcome":
        v = callbacks.record_outcome(site, db, args.id, args.outcome, args.agent or "-")
        print(f"callback {v.id}: {args.outcome}; state {v.state}, attempts {v.attempts}")
        return 0
    ami = ami_client(site, reconnect=False)
    agent = await AgentDesk(site, db, ami).agent(args.agent)
    seat = agent.seat or f"PJSIP/agent{agent.extension}"
    await ami.connect()
    try:
        outcome = await callbacks.dial(site, db, ami, args.id, seat, agent.extension)
    finally:
        await ami.close()
    print(f"callback {args.id}: " + (outcome or "the agent did not take the call; still claimed"))
    return 0


def cmd_callbacks(site: Site, args) -> int:
    try:
        return asyncio.run(_callbacks(site, args))
    except callbacks.CallbackError as e:
        raise CliError(str(e)) from None


def add_parsers(sub) -> None:
    r = sub.add_parser("recordings", help="verify hashes, purge expired files, export with an audit row")
    ra = r.add_subparsers(dest="action", required=True)
    ra.add_parser("verify", help="missing, corrupt (hash), orphaned and flagged recordings")
    ra.add_parser("purge", help="delete recordings past [recordings] retention_days (never of open tickets)")
    ex = ra.add_parser("export", help="copy a ticket's recordings to a folder (audited)")
    ex.add_argument("code", help="ticket code, e.g. 1022-261203-0042")
    ex.add_argument("--out", required=True, help="directory to copy the files into")
    ex.add_argument("--actor", required=True, help="who asks for them (written to the audit table)")
    r.set_defaults(func=cmd_recordings)

    c = sub.add_parser("callbacks", help="citizens to call back: list, claim, dial, outcome")
    ca = c.add_subparsers(dest="action", required=True)
    ca.add_parser("list", help="open callbacks, in the order the callers reached the hotline")
    for name, text in (("claim", "take a callback (one worker wins)"),
                       ("dial", "ring the agent's phone, then the citizen as the hotline")):
        p = ca.add_parser(name, help=text)
        p.add_argument("id", type=int, help="callback id (callbacks list)")
        p.add_argument("--agent", required=True, help="agent number")
    o = ca.add_parser("outcome", help="record how a callback ended (no answer and busy are retried)")
    o.add_argument("id", type=int, help="callback id")
    o.add_argument("outcome", choices=callbacks.OUTCOMES)
    o.add_argument("--agent", help="who reports it")
    c.set_defaults(func=cmd_callbacks)
