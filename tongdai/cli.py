"""`tongdai` command line: `run`, `engine`, `pbx render|install|start|stop|status|cli`."""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

from asterisk_conf import Layout, render
from ivr import prompts
from ivr.menu import load_menu
from acd.ami import AmiError
from tongdai import acd_cli, agencies_cli, apikeys_cli, backup_cli, logs, pbx, records_cli, tickets_cli, users_cli
from config import ConfigError, Site, load_site
from tongdai.engine import Engine, serve
from config.secrets import load_or_create


def render_site(site: Site, out: Path | None = None) -> Layout:
    """Asterisk config plus any missing prompt audio; the menu file is validated first."""
    tree = load_menu(site)
    layout = render(site, out)
    prompts.ensure(site, tree)
    return layout


def first_admin(site: Site) -> str | None:
    """The first admin password when this run generates it (a fresh install), else None: it is
    shown once, on the terminal, and never again (nor written to any log)."""
    secrets_file = site.paths.secrets
    if secrets_file.exists() and "console_admin" in tomllib.loads(secrets_file.read_text(encoding="utf-8")):
        return None
    return load_or_create(secrets_file, ["console_admin"])["console_admin"]


def banner(site: Site, p: pbx.Pbx, layout: Layout, admin_password: str | None = None) -> str:
    sip = f"{site.ports.bind}:{site.ports.sip}"
    agents, sups = site.agents.extensions, site.supervisors.extensions
    lines = [
        f"tongdai: hotline {site.hotline} for {site.province} (site {site.name}, {site.file})",
        f"  Asterisk {p.version} ({p.root or p.binary}); config {layout.conf}",
        f"  Citizens: sip:{site.hotline}@{sip} (calls from {site.trunk.host} enter as trunk '{site.trunk.name}';"
        f" 113/114/115 go to sip:{site.trunk.host}:{site.trunk.port})",
    ]
    if agents:
        lines.append(f"  Agent seats: SIP users agent{agents[0]}..agent{agents[-1]} register at sip:{sip}"
                     f" (extensions {agents[0]}-{agents[-1]})")
    if sups:
        lines.append(f"  Supervisor seats: SIP users supervisor{sups[0]}..supervisor{sups[-1]} at sip:{sip}")
    lines += [f"  SIP passwords and the AMI secret: {site.paths.secrets} (mode 0600)",
              f"  AMI {site.ports.bind}:{site.ports.ami} (user tongdai), FastAGI 127.0.0.1:{site.ports.agi}",
              f"  Logs: {layout.log}; CLI: tongdai pbx cli"]
    host = "127.0.0.1" if site.ports.bind in ("0.0.0.0", "::") else site.ports.bind
    first = (f"first login: admin / {admin_password}; shown this once" if admin_password else
             f"the first admin password is key console_admin in {site.paths.secrets}")
    lines.append(f"  Console: http://{host}:{site.ports.web}/ ({first};"
                 f" `tongdai users passwd admin` changes it, `tongdai users add` adds staff)")
    public = site.ports.public_address
    public = "127.0.0.1" if public in ("0.0.0.0", "::") else public
    lines.append(f"  Public portal and Open311: http://{public}:{site.ports.public}/ (no login)")
    return "\n".join(lines)


async def _run(site: Site, p: pbx.Pbx, layout: Layout) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    admin_password = first_admin(site)  # before the engine creates the first admin with it
    engine = Engine(site)
    await engine.start()
    proc = None
    try:
        proc = await asyncio.to_thread(pbx.start, p, layout)
        print(banner(site, p, layout, admin_password), flush=True)
        print(f"tongdai ready: calls to {site.hotline} are accepted (Ctrl-C stops Asterisk and the engine)",
              flush=True)
        died = asyncio.create_task(asyncio.to_thread(proc.wait))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({died, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if died.done():
            print(f"tongdai: Asterisk exited ({proc.returncode}); see {layout.log}", file=sys.stderr)
            return 1
        print("tongdai: stopping", flush=True)
        return 0
    finally:
        await engine.close()
        if proc is not None:
            await asyncio.to_thread(pbx.stop, proc)
            print(f"tongdai: Asterisk (PID {proc.pid}) stopped", flush=True)


def cmd_run(site: Site, args) -> int:
    p = pbx.install(site)
    layout = render_site(site)
    if pbx.running_pid(layout):
        raise pbx.PbxError(f"Asterisk for this site already runs (PID {pbx.running_pid(layout)}); "
                           "`tongdai pbx stop` first")
    return asyncio.run(_run(site, p, layout))


def cmd_engine(site: Site, args) -> int:
    async def main() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await serve(site, stop)
    asyncio.run(main())
    return 0


def cmd_pbx(site: Site, args) -> int:
    out = Path(args.out) if getattr(args, "out", None) else None
    if args.action == "render":
        layout = render_site(site, out)
        print(f"rendered {layout.conf} (start with: asterisk -C {layout.asterisk_conf})")
        return 0
    if args.action == "install":
        pbx.install(site)
        return 0
    p, layout = pbx.locate(site), Layout.for_site(site, out)
    running = pbx.running_pid(layout)
    if args.action == "start":
        if running:
            print(f"Asterisk already running (PID {running})")
            return 0
        render_site(site, out)
        proc = pbx.start(p, layout)
        print(f"Asterisk {p.version} started (PID {proc.pid}); `tongdai pbx stop` stops it")
        return 0
    if args.action == "stop":
        if not running:
            print("Asterisk is not running for this site")
            return 0
        pbx.stop(running)
        print(f"Asterisk (PID {running}) stopped")
        return 0
    if args.action == "status":
        if not running:
            print(f"Asterisk {p.version}: not running (config {layout.conf})")
            return 3
        print(f"Asterisk {p.version}: running, PID {running}")
        print(pbx.rx(p, layout, "core show uptime").strip())
        return 0
    if args.action == "cli":
        if not running:
            raise pbx.PbxError("Asterisk is not running for this site (`make run` or `tongdai pbx start`)")
        return subprocess.call(p.argv(layout, "-r"))
    raise AssertionError(args.action)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="tongdai", description="1022 hotline engine")
    ap.add_argument("--site", help="site file (default: $TONGDAI_SITE or sites/demo.toml)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start Asterisk and the engine in the foreground").set_defaults(func=cmd_run)
    sub.add_parser("engine", help="run the engine only (FastAGI) against a running PBX").set_defaults(func=cmd_engine)
    p = sub.add_parser("pbx", help="the Asterisk PBX")
    p.add_argument("action", choices=["render", "install", "start", "stop", "status", "cli"])
    p.add_argument("--out", help="config directory (default: the site's paths.asterisk)")
    p.set_defaults(func=cmd_pbx)
    tickets_cli.add_parser(sub)
    acd_cli.add_parsers(sub)
    records_cli.add_parsers(sub)
    users_cli.add_parser(sub)
    backup_cli.add_parsers(sub)
    agencies_cli.add_parser(sub)
    apikeys_cli.add_parser(sub)
    for sp in sub.choices.values():
        sp.add_argument("--site", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return ap


def main(argv: list[str] | None = None) -> int:
    os.umask(0o027)  # the database, recordings, exports and logs tongdai writes: no world access
    args = parser().parse_args(argv)
    logs.setup(os.environ.get("TONGDAI_LOG", "INFO" if args.command in ("run", "engine") else "WARNING"))
    try:
        site = load_site(args.site)
        return args.func(site, args)
    except ConfigError as e:
        print(f"tongdai: {e}", file=sys.stderr)
        return 2
    except (pbx.PbxError, prompts.PromptToolMissing, acd_cli.CliError, AmiError, OSError) as e:
        print(f"tongdai: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
