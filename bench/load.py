"""Load benchmark: the whole stack (Asterisk 22, the engine, SQLite) under SIPp callers.

For each concurrency N (default 180, then 500): N citizens call 1022 within a ramp of about
10 s, walk the IVR with RFC 4733 digits (2 then 4: a report to the incidents queue) and stay
until an agent has finished with them or they give up after `--hold` s, so N calls are up at
once; N/5 more hang up during the greeting. Six SIPp agent phones answer queue calls. Then N
callers dial the plain-dialplan IVR on the same Asterisk (the fallback menu, no engine) as the
baseline. The peak of Asterisk's active calls is sampled every 2 s.

Time to first prompt is what the caller hears: from Asterisk's 200 OK to the first RTP packet
Asterisk sends (it sends none before it plays something), from two loopback captures.
AGI round trips come from the engine (/api/metrics). CPU seconds from /proc.

    python bench/load.py [--concurrent 180 500] [--hold 25]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, UTC
from pathlib import Path

import jinja2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pcap import first_prompt_delays, percentile  # noqa: E402
from db import store  # noqa: E402
from db.models import Call, Ticket  # noqa: E402
from tests.harness import sipp  # noqa: E402
from tests.harness.console import ConsoleClient  # noqa: E402
from tests.harness.ports import listening  # noqa: E402
from tests.harness.site import make_site  # noqa: E402
from asterisk_conf import Layout  # noqa: E402
from tongdai import pbx as pbxmod  # noqa: E402
from tongdai.cli import render_site  # noqa: E402
from config.secrets import load_or_create, site_secret_names  # noqa: E402

BASELINE = "1099"
HERE = Path(__file__).parent
QUEUES = [{"name": "operator", "ring_timeout": 5, "wrapup": 1, "max_wait": 60},
          {"name": "admin", "fields": ["admin"], "ring_timeout": 5, "wrapup": 1, "max_wait": 60},
          {"name": "incidents", "fields": ["traffic", "water", "drainage", "trees", "lighting", "electricity",
                                           "telecom", "transport", "environment", "urban_order"],
           "ring_timeout": 5, "wrapup": 1, "max_wait": 60}]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def scenario(work: Path, name: str, steps: list, hold_ms: int) -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), undefined=jinja2.StrictUndefined)
    path = work / f"{name}.xml"
    path.write_text(env.get_template("citizen.xml.j2").render(steps=steps, hold_ms=hold_ms))
    return path


def callers(work: Path, name: str, first: int, count: int) -> Path:
    path = work / f"{name}.csv"
    path.write_text("SEQUENTIAL\n" + "".join(f"09{first + i:08d};\n" for i in range(count)))
    return path


MEDIA_BASE = {"walk": 40000, "early": 44000, "baseline": 46000}  # SIPp's RTP ports, clear of Asterisk's range


def place(site, xml: Path, csv: Path, calls: int, rate: float, service: str, timeout: float) -> dict:
    """Place `calls` calls with SIPp; any call SIPp did not complete counts as failed."""
    argv = [sipp.sipp_binary(), f"127.0.0.1:{site.ports.sip}", "-sf", str(xml), "-inf", str(csv), "-s", service,
            "-i", "127.0.0.1", "-p", str(sipp.free_port()), "-m", str(calls), "-l", str(calls), "-r", f"{rate:.2f}",
            "-rp", "1000", "-mi", "127.0.0.1", "-mp", str(MEDIA_BASE[xml.stem.split("-")[0]]), "-nostdin",
            "-trace_stat", "-fd", "1", "-timeout", f"{int(timeout)}s", "-max_socket", "4096"]
    subprocess.run(argv, cwd=xml.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout + 60)
    ok, _ = sipp._stats(xml.parent, xml.stem + "_")
    return {"ok": ok, "failed": calls - ok}


class PeakCalls:
    """The most active calls Asterisk reported (`core show channels count`), sampled every 2 s."""

    def __init__(self, site):
        self.pbx, self.layout = pbxmod.locate(site), Layout.for_site(site)
        self.peak, self.done = 0, threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(2):
            text = pbxmod.rx(self.pbx, self.layout, "core show channels count")
            found = re.search(r"(\d+) active calls?", text)
            self.peak = max(self.peak, int(found.group(1)) if found else 0)

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


class Capture:
    """Two tcpdumps on lo: Asterisk's SIP whole, its RTP in the first 64 bytes."""

    def __init__(self, site, work: Path, tag: str):
        self.sip, self.rtp = work / f"{tag}-sip.pcap", work / f"{tag}-rtp.pcap"
        p = site.ports
        self.procs = [subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-B", "16384", "-s", "2000", "-w", str(self.sip),
                                        f"udp and src port {p.sip}"], stderr=subprocess.DEVNULL),
                      subprocess.Popen(["tcpdump", "-i", "lo", "-n", "-B", "65536", "-s", "64", "-w", str(self.rtp),
                                        f"udp and src portrange {p.rtp_start}-{p.rtp_end}"], stderr=subprocess.DEVNULL)]
        time.sleep(1)

    def stop(self) -> None:
        time.sleep(0.5)
        for proc in self.procs:
            proc.terminate()
            proc.wait(10)


async def agi_metrics(base: str, password: str, since: float) -> dict:
    client = ConsoleClient(base)
    try:
        assert (await client.login("admin", password)).status == 200
        async with client.request("GET", f"/api/metrics?since={since}") as r:
            return await r.json()
    finally:
        await client.close()


def tickets_between(db, start: datetime, first: int, count: int) -> int:
    numbers = [f"09{first + i:08d}" for i in range(count)]
    with Session(db) as s:
        return s.scalar(select(func.count()).select_from(Ticket).join(Call)
                        .where(Ticket.created_at >= start, Call.caller_number.in_(numbers))) or 0


def drive(walk: Callable[[], dict], early: Callable[[], dict], ramp: float, cap, peak) -> tuple[dict, int]:
    """Place the walkers and the early hang-ups side by side, stop the capture once the ramp is
    over, and wait for every call to end: each group's result, and the most calls Asterisk had."""
    results: dict = {}
    threads = [threading.Thread(target=lambda: results.__setitem__("walk", walk())),
               threading.Thread(target=lambda: results.__setitem__("early", early()))]
    for t in threads:
        t.start()
    time.sleep(ramp + 8)
    cap.stop()
    for t in threads:
        t.join()
    return results, peak.stop()


def run(site, engine_pid: int, asterisk_pid: int, db, work: Path, n: int, hold: int, first: int) -> dict:
    walkers, early = n, n // 5
    rate = max(10.0, n / 10)
    ramp = n / rate
    walk = scenario(work, f"walk-{n}", [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4")], hold * 1000)
    leave = scenario(work, f"early-{n}", [("pause", 1000)], 1)
    base = scenario(work, f"baseline-{n}", [("pause", 1500)], hold * 1000)
    out: dict = {"concurrent": n, "hold_s": hold}

    cpu = (cpu_seconds(engine_pid), cpu_seconds(asterisk_pid))
    started, wall = time.time(), datetime.now(UTC).replace(tzinfo=None)
    cap = Capture(site, work, f"engine-{n}")
    results, out["peak_calls"] = drive(
        lambda: place(site, walk, callers(work, f"walk-{n}", first, walkers), walkers, rate * walkers / n, "1022",
                      hold + ramp + 120),
        lambda: place(site, leave, callers(work, f"early-{n}", first + walkers, early), early, rate * early / n,
                      "1022", ramp + 60),
        ramp, cap, PeakCalls(site))
    engine_delays = first_prompt_delays(cap.sip, cap.rtp, site.ports.sip)
    time.sleep(3)  # the last tickets close
    cpu_after = (cpu_seconds(engine_pid), cpu_seconds(asterisk_pid))
    calls = sum(r["ok"] + r["failed"] for r in results.values())
    out.update(calls=calls, failed=sum(r["failed"] for r in results.values()), walkers=walkers, early_hangups=early,
               tickets=tickets_between(db, wall, first, walkers + early))
    out["first_prompt_p50_ms"] = round(percentile(engine_delays, 50) * 1000, 1) if engine_delays else None
    out["first_prompt_p99_ms"] = round(percentile(engine_delays, 99) * 1000, 1) if engine_delays else None
    out["first_prompt_samples"] = len(engine_delays)
    secrets = load_or_create(site.paths.secrets, ["console_admin"])
    metrics = asyncio.run(agi_metrics(f"http://127.0.0.1:{site.ports.web}", secrets["console_admin"], started))
    out.update(agi_commands=metrics["agi"]["count"], agi_rtt_p50_ms=metrics["agi"]["p50_ms"],
               agi_rtt_p99_ms=metrics["agi"]["p99_ms"],
               engine_cpu_s_per_call=round((cpu_after[0] - cpu[0]) / max(calls, 1), 4),
               asterisk_cpu_s_per_call=round((cpu_after[1] - cpu[1]) / max(calls, 1), 4))

    cap = Capture(site, work, f"baseline-{n}")
    bcpu = cpu_seconds(asterisk_pid)
    t = threading.Thread(target=lambda: results.__setitem__("baseline", place(
        site, base, callers(work, f"baseline-{n}", first + 2 * n, n), n, rate, BASELINE, hold + ramp + 60)))
    t.start()
    time.sleep(ramp + 8)
    cap.stop()
    t.join()
    baseline = results["baseline"]
    base_delays = first_prompt_delays(cap.sip, cap.rtp, site.ports.sip)
    out.update(baseline_calls=baseline["ok"] + baseline["failed"], baseline_failed=baseline["failed"],
               baseline_first_prompt_p50_ms=round(percentile(base_delays, 50) * 1000, 1) if base_delays else None,
               baseline_first_prompt_p99_ms=round(percentile(base_delays, 99) * 1000, 1) if base_delays else None,
               baseline_asterisk_cpu_s_per_call=round((cpu_seconds(asterisk_pid) - bcpu) / max(n, 1), 4))
    if out["first_prompt_p50_ms"] and out["baseline_first_prompt_p50_ms"]:
        out["ratio_first_prompt"] = round(out["first_prompt_p50_ms"] / out["baseline_first_prompt_p50_ms"], 2)
        out["ratio_first_prompt_p99"] = round(out["first_prompt_p99_ms"] / out["baseline_first_prompt_p99_ms"], 2)
    out["engine_peak_mb"], out["asterisk_peak_mb"] = peak_mb(engine_pid), peak_mb(asterisk_pid)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrent", type=int, nargs="+", default=[180, 500])
    ap.add_argument("--hold", type=int, default=25, help="seconds a caller who reached no agent waits")
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args()
    for tool in ("tcpdump", "sipp"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is required (apt-get install {'sip-tester' if tool == 'sipp' else tool})")
    work = Path(tempfile.mkdtemp(prefix="td-bench-"))
    site = make_site(work / "site", queues=QUEUES, pbx={"baseline_number": BASELINE},
                     callbacks={"offer_after_s": 0, "auto": False})
    layout = render_site(site)
    asterisk = pbxmod.start(pbxmod.locate(site), layout)
    engine = subprocess.Popen([sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "engine"], cwd=ROOT,
                              stdout=(work / "engine.log").open("wb"), stderr=subprocess.STDOUT)
    phones = []
    results = []
    try:
        assert listening(site.ports.web, engine, 30), (work / "engine.log").read_text()
        secrets = load_or_create(site.paths.secrets, site_secret_names(site))
        for ext in site.agents.extensions:
            phones.append(sipp.AgentPhone(work / "phones", site.ports.sip, f"agent{ext}", secrets[f"agent{ext}"],
                                          answer_after=1000, hangup_after=3000))
        time.sleep(2)
        for ext in site.agents.extensions:
            subprocess.run([sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "agents", "login", str(ext)],
                           cwd=ROOT, check=True, capture_output=True, timeout=60)
        asterisk_pid = pbxmod.running_pid(layout)
        db = store.connect(site.paths.database_url)
        first = 10_000_000
        for n in args.concurrent:
            print(f"bench: {n} concurrent callers through the engine, then {n} on the plain dialplan ...", flush=True)
            r = run(site, engine.pid, asterisk_pid, db, work, n, args.hold, first)
            first += 4 * n
            r["at"] = datetime.now(UTC).isoformat(timespec="seconds")
            r["machine"] = f"{os.cpu_count()} cores"
            results.append(r)
            print(json.dumps(r, indent=1), flush=True)
            out = Path(args.out) / f"load-{n}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(r, indent=1) + "\n")
            time.sleep(5)
    finally:
        for p in phones:
            p.stop()
        engine.terminate()
        engine.wait(30)
        pbxmod.stop(asterisk)
    print()
    print("| concurrent | peak calls | calls | failed | tickets | first prompt p50 / p99 ms | baseline p50 / p99 ms "
          "| ratio p50 | AGI RTT p50 / p99 ms | engine CPU s/call | Asterisk CPU s/call | engine / Asterisk peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['concurrent']} | {r['peak_calls']} | {r['calls']} | {r['failed']} | {r['tickets']} "
              f"| {r['first_prompt_p50_ms']} / {r['first_prompt_p99_ms']} "
              f"| {r['baseline_first_prompt_p50_ms']} / {r['baseline_first_prompt_p99_ms']} "
              f"| {r.get('ratio_first_prompt')} | {r['agi_rtt_p50_ms']} / {r['agi_rtt_p99_ms']} | "
              f"{r['engine_cpu_s_per_call']} | {r['asterisk_cpu_s_per_call']} | {r['engine_peak_mb']} / "
              f"{r['asterisk_peak_mb']} |")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(r["failed"] == 0 and r["tickets"] == r["calls"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
