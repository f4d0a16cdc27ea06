"""`tongdai agents ...`, `tongdai supervise ...`, `tongdai transfer ...`: the ACD from the shell."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


from acd import stats, supervision
from acd.desk import AgentDesk, DeskError, add_agent, pause_reason_keys, seed_demo_agents
from acd.phones import SPY_OPTIONS
from acd.service import ami_client
from asterisk_conf import Layout
from db import store
from db.clock import utcnow
from db.queries.agents import current_states
from config import Site
from config.local_time import parse_day
from web.reports import agency_report


class CliError(RuntimeError):
    pass


def open_db(site: Site):
    """The site's database, migrated, with the demo agents seeded (for CLI commands)."""
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    seed_demo_agents(site, db)
    return db


def _states(db) -> dict[str, tuple[str, str | None]]:
    return current_states(db)


async def _agents(site: Site, args) -> int:
    db = open_db(site)
    ami = ami_client(site, reconnect=False)
    desk = AgentDesk(site, db, ami)
    if args.action == "add":
        skills = dict((k, int(v or 0)) for k, _, v in (item.partition("=") for item in args.skills.split(",") if item))
        try:
            add_agent(site, db, args.agent, args.name, args.pin, skills or {q.name: 0 for q in site.queues})
        except (DeskError, ValueError) as e:
            raise CliError(str(e)) from None
        print(f"agent {args.agent} ({args.name}) added")
        return 0
    if args.action == "list":
        states = _states(db)
        print(f"{'agent':<6} {'name':<24} {'seat':<18} {'state':<10} reason")
        for a in await desk.all():
            state, reason = states.get(a.extension, ("logged_out", None)) if a.seat else ("logged_out", None)
            print(f"{a.extension:<6} {a.name:<24} {a.seat or '-':<18} {state:<10} {reason or ''}".rstrip())
        return 0
    await ami.connect()
    try:
        if args.action == "login":
            agent = await desk.login(args.agent, args.seat)
            print(f"agent {agent.extension} logged in at {agent.seat}")
        elif args.action == "logout":
            await desk.logout(args.agent)
            print(f"agent {args.agent} logged out")
        elif args.action == "pause":
            keys = pause_reason_keys(db)
            reason = keys.get(args.reason, args.reason)
            if reason not in keys.values():
                raise DeskError(f"no active pause reason {args.reason!r}: one of "
                                + ", ".join(f"{d} {k}" for d, k in sorted(keys.items())))
            await desk.pause(args.agent, reason)
            print(f"agent {args.agent} paused ({reason})")
        elif args.action == "unpause":
            await desk.unpause(args.agent, outcome_first=False)  # a supervisor or IT releases the agent
            print(f"agent {args.agent} ready")
    except DeskError as e:
        raise CliError(str(e)) from None
    finally:
        await ami.close()
    return 0


async def _supervise(site: Site, args) -> int:
    db = open_db(site)
    ami = ami_client(site, reconnect=False)
    agent = await AgentDesk(site, db, ami).agent(args.agent)
    await ami.connect()
    try:
        audit = await supervision.spy(ami, db, args.supervisor, agent, args.mode, "cli")
    except supervision.SupervisionError as e:
        raise CliError(str(e)) from None
    finally:
        await ami.close()
    supervisor = supervision.supervisor_seat(args.supervisor)
    print(f"{supervisor}'s phone rings; answering it will {args.mode} on agent {agent.extension} (audit {audit})")
    return 0


async def _transfer(site: Site, args) -> int:
    """Blind-transfer the caller talking to an agent to 113/114/115 (AMI Redirect)."""
    db = open_db(site)
    ami = ami_client(site, reconnect=False)
    await ami.connect()
    try:
        channel, code = await supervision.transfer(ami, db, site, args.seat, args.number, "cli")
    except supervision.SupervisionError as e:
        raise CliError(str(e)) from None
    finally:
        await ami.close()
    print(f"{channel} (ticket {code or '-'}) transferred to {args.number}")
    return 0


def _agency_stats(site: Site, args) -> int:
    """`stats --agencies`: the reports page's agencies figures (web.reports.agency_report), as JSON or a table."""
    try:
        today = datetime.now(ZoneInfo(site.timezone)).date()
        last = parse_day(args.to) if args.to else today
        first = parse_day(args.since) if args.since else last - timedelta(days=6)
        data = agency_report(open_db(site), site, first, last, utcnow())
    except ValueError as e:  # a bad day, a reversed or too long period, too many assignments
        raise CliError(f"--from/--to: {e}") from None
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    print(f"agencies from {first:%d/%m/%Y} to {last:%d/%m/%Y} (on time: of answered + open overdue; hours: wall clock)")
    print(f"{'':<40} {'received':>8} {'on time':>7} {'late':>5} {'overdue':>7} {'open':>5} {'declined':>8} "
          f"{'rate':>5} {'median h':>8}")
    for r in [*data["agencies"], {"name": "total", **data["totals"]}]:
        rate = f"{r['on_time_rate']:.0%}" if r["on_time_rate"] is not None else "-"
        med = r["median_hours"] if r["median_hours"] is not None else "-"
        print(f"{r['name'][:40]:<40} {r['received']:>8} {r['on_time']:>7} {r['late']:>5} {r['open_overdue']:>7} "
              f"{r['open_in_time']:>5} {r['declined']:>8} {rate:>5} {med:>8}")
    return 0


def cmd_stats(site: Site, args) -> int:
    if args.agencies:
        return _agency_stats(site, args)
    try:
        day = parse_day(args.date) if args.date else datetime.now(ZoneInfo(site.timezone)).date()
    except ValueError as e:
        raise CliError(f"--date: {e}") from None
    data = stats.report(open_db(site), Layout.for_site(site).log / "queue_log", day, site.timezone)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    head = (f"{'':<14} {'offered':>7} {'answered':>8} {'abandoned':>9} {'SL':>6} {'ASA s':>6} {'AHT s':>6} "
            f"{'longest':>7}")
    for title in ("queues", "fields"):
        print(f"{title} on {data['date']} (service level: answered within {data['service_level_s']} s)")
        print(head)
        for name, f in data[title].items():
            sl = f"{f['service_level']:.0%}" if f["service_level"] is not None else "-"
            asa = f["asa_s"] if f["asa_s"] is not None else "-"
            aht = f["aht_s"] if f["aht_s"] is not None else "-"
            print(f"{name:<14} {f['offered']:>7} {f['answered']:>8} {f['abandoned']:>9} {sl:>6} {asa:>6} {aht:>6} "
                  f"{f['longest_wait_s']:>7}")
        print()
    print(f"{'agent':<6} {'calls':>5} {'talk s':>7}  time per state (s); pauses by reason (s)")
    for name, a in data["agents"].items():
        states = " ".join(f"{k}={v}" for k, v in a["states_s"].items())
        pauses = " ".join(f"{k}={v}" for k, v in a["pauses_s"].items())
        print(f"{name:<6} {a['calls']:>5} {a['talk_s']:>7}  {states}{'; ' + pauses if pauses else ''}")
    for m in data["mismatches"]:
        print(f"warning: tickets and queue_log differ: {m}")
    return 0


def cmd_agents(site: Site, args) -> int:
    return asyncio.run(_agents(site, args))


def cmd_supervise(site: Site, args) -> int:
    return asyncio.run(_supervise(site, args))


def cmd_transfer(site: Site, args) -> int:
    return asyncio.run(_transfer(site, args))


def add_parsers(sub) -> None:
    p = sub.add_parser("agents", help="list agents; log in, log out, pause, unpause")
    a = p.add_subparsers(dest="action", required=True)
    a.add_parser("list", help="every agent: seat, state, pause reason, skills")
    add = a.add_parser("add", help="a new agent (person)")
    add.add_argument("agent", help="agent number, e.g. 120")
    add.add_argument("--name", required=True, help="full name, shown on the wallboard")
    add.add_argument("--pin", required=True, help="4-8 digits, keyed in after dialling *11")
    add.add_argument("--skills", default="", help="queue=penalty,... (default: every queue, penalty 0)")
    login = a.add_parser("login", help="log an agent in at a phone (as *11 does)")
    login.add_argument("agent", help="agent number")
    login.add_argument("--seat", help="endpoint, e.g. PJSIP/agent103 (default: the agent's own seat)")
    a.add_parser("logout", help="log an agent out of every queue (as *12 does)").add_argument(
        "agent", help="agent number")
    pause = a.add_parser("pause", help="pause an agent with a reason (as *13 does)")
    pause.add_argument("agent", help="agent number")
    pause.add_argument("--reason", default="break", help="a pause reason's key or digit (as after *13; "
                       "the defaults: break, lunch, training, after-call work, or 1-4)")
    a.add_parser("unpause", help="make a paused agent ready (as *14 does)").add_argument("agent", help="agent number")
    p.set_defaults(func=cmd_agents)

    s = sub.add_parser("supervise", help="listen, whisper or barge on an agent from a supervisor phone")
    s.add_argument("mode", choices=sorted(SPY_OPTIONS))
    s.add_argument("agent", help="agent number")
    s.add_argument("--from", dest="supervisor", required=True, help="supervisor seat, e.g. 201")
    s.set_defaults(func=cmd_supervise)

    st = sub.add_parser("stats", help="per queue, field and agent statistics for a day; --agencies: per agency")
    st.add_argument("--date", help="dd/mm/yyyy or yyyy-mm-dd, site-local (default: today)")
    st.add_argument("--json", action="store_true", help="the figures as JSON")
    st.add_argument("--agencies", action="store_true", help="per agency and per field over --from..--to: received, "
                    "on time, late, open overdue, median hours to answer (the reports page's figures)")
    st.add_argument("--from", dest="since", metavar="DAY", help="with --agencies: first day, dd/mm/yyyy or yyyy-mm-dd "
                    "(default: 6 days before --to)")
    st.add_argument("--to", metavar="DAY", help="with --agencies: last day (default: today)")
    st.set_defaults(func=cmd_stats)

    t = sub.add_parser("transfer", help="blind-transfer an agent's caller to 113/114/115")
    t.add_argument("seat", help="the agent's endpoint, e.g. PJSIP/agent103")
    t.add_argument("number", help="113, 114 or 115")
    t.set_defaults(func=cmd_transfer)
