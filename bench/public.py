"""Public portal benchmark: how the results and lookup pages hold under many citizens at once,
beside a static file served by the same process (the ratio is the figure: the static file is what
this machine and aiohttp give at best).

The portal runs alone in its own process (the clients do not share its event loop), over a
temporary site on 127.0.0.1 seeded with a year of a province's hotline (bench/seed_public.py:
5,000 tickets, 3,000 forwards to the demo agencies). Then, one phase after the other, `--clients`
concurrent clients (aiohttp, one connection each) ask for `--seconds`:

  static        GET /static/portal.css
  results       GET /results?period=12m         (the HTML page; figures cached [public] cache_seconds)
  results.json  GET /results.json?period=12m
  lookup        POST /lookup                     (a seeded case's code + the right last 3 digits)

Each client comes from its own address in X-Forwarded-For, as behind the province's reverse proxy
(`[public] proxy = 127.0.0.1`): the lookup's real limits apply (per address and per code), no limit
is raised. Successful lookups are forgiven, so only a refusal would count; every answer that is not
2xx (429 included) is counted apart and printed, never folded into the latencies' meaning.
Nothing is asserted on time: the figures are printed, with the machine's load around them.

    python bench/public.py [--seconds 30] [--clients 200] [--postgres URL] [--json FILE]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pcap import percentile  # noqa: E402
from bench.seed_public import seed  # noqa: E402
from tests.harness.ports import listening  # noqa: E402
from db import store  # noqa: E402

PERIOD = "12m"  # the whole seeded year: the largest figures a citizen can ask for with one click
PHASES = {"static": ("GET", "/static/portal.css"), "results": ("GET", f"/results?period={PERIOD}"),
          "results.json": ("GET", f"/results.json?period={PERIOD}"), "lookup": ("POST", "/lookup")}


def serve(site_file: str) -> None:
    """The server process: the portal's app as the engine makes it, alone on its event loop."""
    from aiohttp import web

    from config import load_site
    from portal.app import make_public_app
    from portal.context import Public
    site = load_site(Path(site_file))
    app = make_public_app(Public(site, store.connect(site.paths.database_url)))
    web.run_app(app, host="127.0.0.1", port=site.ports.public, access_log=None, print=None)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer (refused, reset, timed out)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    load_after: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def ms(self, p: float) -> float:
        value = percentile(self.latencies, p)
        return round(value * 1000, 1) if value is not None else float("nan")

    def summary(self) -> dict[str, object]:
        return {"phase": self.name, "requests": self.requests, "req_s": round(self.rate, 1),
                "p50_ms": self.ms(50), "p99_ms": self.ms(99), "non_2xx": self.non_2xx,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "server_cpu_pct": round(100 * self.server_cpu / self.seconds, 1) if self.seconds else 0,
                "client_cpu_pct": round(100 * self.client_cpu / self.seconds, 1) if self.seconds else 0,
                "load_after": self.load_after}


async def run_phase(base: str, name: str, clients: int, seconds: float, cap: int, pid: int,
                    lookups: list[tuple[str, str]]) -> Phase:
    method, path = PHASES[name]
    out = Phase(name)
    rng = random.Random(name)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout) as session:
        deadline = time.monotonic() + seconds

        async def client(n: int) -> None:
            headers = {"X-Forwarded-For": f"10.17.{n // 250}.{n % 250 + 1}"}  # its own citizen
            while time.monotonic() < deadline and len(out.latencies) < cap:
                form = None
                if name == "lookup":
                    code, digits = rng.choice(lookups)
                    form = {"code": code, "proof": digits}
                started = time.perf_counter()
                try:
                    async with session.request(method, path, data=form, headers=headers) as r:
                        await r.read()
                        status = r.status
                except (TimeoutError, aiohttp.ClientError):
                    status = 0
                out.latencies.append(time.perf_counter() - started)
                out.statuses[status] += 1

        cpu, mine, started = cpu_seconds(pid), own_cpu_seconds(), time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        out.seconds = time.monotonic() - started
        out.server_cpu, out.client_cpu = cpu_seconds(pid) - cpu, own_cpu_seconds() - mine
    out.load_after = round(os.getloadavg()[0], 2)
    return out


async def cold_figures(base: str) -> float:
    """Milliseconds of the first /results.json: the one view per period and cache_seconds that
    computes the figures (every other view reads them)."""
    async with aiohttp.ClientSession(base_url=base) as session:
        started = time.perf_counter()
        async with session.get(PHASES["results.json"][1]) as r:
            await r.read()
            if r.status != 200:
                raise SystemExit(f"bench: /results.json answered {r.status}")
        return round((time.perf_counter() - started) * 1000, 1)


def wait_ready(server: subprocess.Popen, port: int, log: Path) -> None:
    if not listening(port, server, 30):
        raise SystemExit(f"bench: the portal did not start:\n{log.read_text()[-3000:]}")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def report(phases: list[Phase]) -> None:
    print("| phase | requests | req/s | p50 ms | p99 ms | non-2xx | server CPU % | client CPU % | load after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in phases:
        s = p.summary()
        print(f"| {p.name} | {p.requests} | {s['req_s']} | {s['p50_ms']} | {s['p99_ms']} | {p.non_2xx} "
              f"| {s['server_cpu_pct']} | {s['client_cpu_pct']} | {p.load_after} |")
    for p in phases:
        if p.non_2xx:
            print(f"  {p.name}: answers by status (0 = no answer): {dict(sorted(p.statuses.items()))}")
    static = phases[0]
    print()
    print("| page / static | req/s ratio | p99 ratio |")
    print("|---|---|---|")
    for p in phases[1:]:
        print(f"| {p.name} / static | {ratio(p.rate, static.rate)} | {ratio(p.ms(99), static.ms(99))} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30, help="length of each phase (default 30)")
    ap.add_argument("--clients", type=int, default=200, help="concurrent clients and connections (default 200)")
    ap.add_argument("--max-requests", type=int, default=1_000_000, help="a phase stops there at the latest")
    ap.add_argument("--tickets", type=int, default=5000)
    ap.add_argument("--assignments", type=int, default=3000)
    ap.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database instead of SQLite")
    ap.add_argument("--json", metavar="FILE", help="also write the figures there")
    ap.add_argument("--serve", help=argparse.SUPPRESS)  # the server process's own entry
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if not 1 <= args.clients <= 1000 or not 0 < args.seconds <= 600:
        ap.error("--clients 1..1000, --seconds up to 600")

    from tests.harness.site import make_site
    work = Path(tempfile.mkdtemp(prefix="td-bench-public-"))
    changes: dict[str, dict] = {"public": {"proxy": "127.0.0.1"}}
    if args.postgres:
        changes["paths"] = {"database_url": args.postgres}
    site = make_site(work / "site", **changes)
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    started = time.monotonic()
    seeded = seed(db, site, args.tickets, args.assignments)
    db.dispose()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"bench: {backend} seeded in {time.monotonic() - started:.1f} s: {seeded.tickets} tickets, "
          f"{seeded.assignments} forwards over 12 months, {len(seeded.lookups)} cases to look up", flush=True)
    log = work / "portal.log"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(site.file)], cwd=ROOT,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_ready(server, site.ports.public, log)
        base = f"http://127.0.0.1:{site.ports.public}"
        cold = asyncio.run(cold_figures(base))
        print(f"bench: portal pid {server.pid} on {base}; the figures of {PERIOD} computed in {cold} ms "
              f"(first view, then kept {site.public.cache_seconds} s)")
        print(f"bench: {args.clients} clients x {args.seconds:g} s per phase, each its own X-Forwarded-For "
              f"address (the lookup's real limits); {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.2f} before", flush=True)
        phases = []
        for name in PHASES:
            phases.append(asyncio.run(run_phase(base, name, args.clients, args.seconds, args.max_requests,
                                                server.pid, seeded.lookups)))
            print(f"bench: {name}: {phases[-1].requests} requests", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
    print()
    report(phases)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"clients": args.clients, "seconds": args.seconds, "backend": backend, "tickets": seeded.tickets,
             "assignments": seeded.assignments, "cold_figures_ms": cold, "cores": os.cpu_count(),
             "phases": [p.summary() for p in phases]}, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(p.non_2xx == 0 for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
