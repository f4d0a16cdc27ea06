"""What the engine costs Asterisk's callers: the hotline through the engine against its plain-dialplan twin.

For each concurrency N, each run places, through one configuration at a time on a freshly started
Asterisk 22: N citizens who call within about 10 s, talk from the moment they are answered
(G.711 A-law RTP from a pcap, `bench/caller_rtp.py`, with the menu digits 2 then 4 in it as RFC
4733 events at 1.5 s and 3 s: a report to the incidents queue) and stay until one of six SIPp
agent phones has served them or they give up after `--hold` s; N/5 more hang up during the
greeting. The engine configuration is the site as rendered (1022, FastAGI to the engine); the
baseline is `bench/twin.py`: the same recording, prompts, menus and queues with the same agents,
in a plain dialplan, with no engine process at all. Engine and twin runs alternate, `--runs`
times each; the table shows the median of the runs and their spread (min-max).

Time to first prompt: from Asterisk's 200 OK to its first RTP packet, from loopback captures
(`bench/pcap.py`); the figure that counts is the engine's minus the twin's, p50 and p99. Calls
in the books are counted three ways: SIPp's, the engine's tickets, and Asterisk's own CDR
(`cdr_calls`: trunk calls of the run in the CDR CSV written during the run).

    python bench/engine_cost.py [--concurrent 180 500] [--runs 3] [--hold 25] [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asterisk_conf import Layout  # noqa: E402
from bench import cost_report, twin  # noqa: E402
from bench.caller_rtp import caller_pcap, media_base  # noqa: E402
from bench.load import QUEUES, Capture, agi_metrics, callers, cpu_seconds, drive, peak_mb, tickets_between  # noqa: E402
from bench.pcap import first_prompt_delays, percentile  # noqa: E402
from config.secrets import load_or_create, site_secret_names  # noqa: E402
from db import store  # noqa: E402
from db.reconcile import add_queue_facts, cdr_calls, read_new  # noqa: E402
from tests.harness import sipp  # noqa: E402
from tests.harness.ports import listening  # noqa: E402
from tests.harness.site import make_site  # noqa: E402
from tongdai import pbx as pbxmod  # noqa: E402
from tongdai.cli import render_site  # noqa: E402

HERE = Path(__file__).parent
WALK = [(1500, "2"), (3000, "4")]  # (ms after answer, key): as bench/load.py's walkers
WALK_MS = 3200  # the scenario's pause over the digits


@dataclass
class Bench:
    """What lives across runs: the temporary site, its two Asterisk configs, the database."""

    site: object
    work: Path
    pbx: pbxmod.Pbx
    layouts: dict[str, Layout]  # "engine" (the site as rendered) and "twin"
    db: object
    hold: int
    first: int = 10_000_000  # next caller number (09 + 8 digits); each run takes its own

    def scenario(self, name: str, walk_ms: int, hold_ms: int, talk_s: float) -> Path:
        pcap = caller_pcap(self.work / f"{name}.pcap", talk_s, WALK if name.startswith("walk") else [])
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), undefined=jinja2.StrictUndefined)
        path = self.work / f"{name}.xml"
        path.write_text(env.get_template("citizen_rtp.xml.j2").render(pcap=pcap, walk_ms=walk_ms, hold_ms=hold_ms))
        return path


def setup(work: Path, hold: int) -> Bench:
    for tool in ("tcpdump", "sipp"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is required (apt-get install {'sip-tester' if tool == 'sipp' else tool})")
    if "PCAP" not in subprocess.run(["sipp", "-v"], capture_output=True, text=True).stdout:
        sys.exit("bench: this SIPp cannot play pcap audio (sipp -v shows no PCAP)")
    # the SIPp agents cannot pick a call's outcome: with it required, the engine would leave each
    # agent paused after one call, and the engine's path would bridge fewer calls than the twin's
    # the capacity search goes to 800 callers (and N/5 more who hang up early): the trunk's limit
    # and Asterisk's RTP ports (2 per call leg) must not be what stops it
    site = make_site(work / "site", queues=QUEUES, callbacks={"offer_after_s": 0, "auto": False},
                     desk={"outcome_required": False}, trunk={"channels": 2000},
                     ports={"rtp_start": 16000, "rtp_end": 19999})
    layout = render_site(site)
    pbx = pbxmod.locate(site)
    twin_layout = twin.render_twin(site, work / "twin-asterisk", pbx.daemon_ids())
    return Bench(site, work, pbx, {"engine": layout, "twin": twin_layout}, store.connect(site.paths.database_url),
                 hold)


class PeakCalls:
    """The most active calls Asterisk reported (`core show channels count`), sampled every 2 s."""

    def __init__(self, pbx: pbxmod.Pbx, layout: Layout):
        self.pbx, self.layout, self.peak, self.done = pbx, layout, 0, threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(2):
            words = pbxmod.rx(self.pbx, self.layout, "core show channels count").split()
            counts = [int(words[i - 1]) for i, w in enumerate(words) if w.startswith("active") and i
                      and words[i - 1].isdigit() and i + 1 < len(words) and words[i + 1].startswith("call")]
            self.peak = max([self.peak, *counts])

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


def place(b: Bench, xml: Path, csv: Path, calls: int, rate: float, service: str, timeout: float) -> dict:
    """Place `calls` calls with SIPp; any call SIPp did not complete counts as failed. SIPp's own
    errors go to `<scenario>.stderr` (printed when no call went through: a setup fault, not load)."""
    argv = [sipp.sipp_binary(), f"127.0.0.1:{b.site.ports.sip}", "-sf", str(xml), "-inf", str(csv), "-s", service,
            "-i", "127.0.0.1", "-p", str(sipp.free_port()), "-m", str(calls), "-l", str(calls), "-r", f"{rate:.2f}",
            "-rp", "1000", "-mi", "127.0.0.1", "-mp", str(media_base()), "-nostdin", "-trace_stat", "-trace_err",
            "-fd", "1",
            "-timeout", f"{int(timeout)}s", "-max_socket", "4096"]
    err = xml.with_suffix(".stderr")
    with err.open("wb") as f:
        subprocess.run(argv, cwd=xml.parent, stdout=subprocess.DEVNULL, stderr=f, timeout=timeout + 60)
    ok, _ = sipp._stats(xml.parent, xml.stem + "_")
    if not ok:
        print(f"bench: no call of {xml.stem} went through; SIPp said: {err.read_text(errors='replace')[-1500:]}",
              flush=True)
    return {"ok": ok, "failed": calls - ok, "why": failure_reasons(xml)}


def failure_reasons(xml: Path) -> dict[str, int]:
    """What SIPp said of its failed calls (its -trace_err log), counted by kind with the numbers
    left out. Receive timeouts that jump to a label are the scenario's own branches and a "dead call"
    is a message after a call ended: neither is a failure."""
    reasons: dict[str, int] = {}
    for log in xml.parent.glob(f"{xml.stem}_*_errors.log"):
        for entry in re.split(r"'?\d{10}\.\d{6}:\s*", log.read_text(errors="replace")):
            entry = entry.strip()
            if not entry or "jumping to label" in entry or entry.startswith("Dead call"):
                continue
            kind = re.sub(r"\d+-\d+@[\d.]+|\d+", "N", entry.splitlines()[0])[:120]
            reasons[kind] = reasons.get(kind, 0) + 1
    return dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:5])


def count_cdr(b: Bench, layout: Layout, offset: int, numbers: set[str]) -> tuple[int, int]:
    """Trunk calls of this run in Asterisk's CDR CSV (one per uniqueid, however many rows), and how
    many of them entered a queue (queue_log): the walkers should all have, on both paths."""
    lines, _ = read_new(layout.log / "cdr-csv" / "Master.csv", offset)
    calls = {u: c for u, c in cdr_calls(lines, b.site.trunk.name).items() if c.src in numbers}
    add_queue_facts(calls, layout.log / "queue_log")
    return len(calls), sum(1 for c in calls.values() if any(q[2] == "ENTERQUEUE" for q in c.queue))


def start_engine(b: Bench) -> subprocess.Popen:
    log = (b.work / "engine.log").open("ab")
    engine = subprocess.Popen([sys.executable, "-m", "tongdai.cli", "--site", str(b.site.file), "engine"], cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    if not listening(b.site.ports.web, engine, 60):
        engine.terminate()
        raise RuntimeError(f"the engine did not start; see {b.work / 'engine.log'}")
    return engine


def run_once(b: Bench, mode: str, n: int, tag: str) -> dict:
    """One run of `mode` ("engine" or "twin") at N concurrent callers, on a fresh Asterisk."""
    site, layout = b.site, b.layouts[mode]
    walkers, early, first = n, n // 5, b.first
    b.first += 2 * n
    rate = max(10.0, n / 10)
    ramp = n / rate
    walk = b.scenario(f"walk-{tag}", WALK_MS, b.hold * 1000, WALK_MS / 1000 + b.hold + 2)
    leave = b.scenario(f"early-{tag}", 1000, 1, 3)
    numbers = {f"09{first + i:08d}" for i in range(walkers + early)}
    cdr = layout.log / "cdr-csv" / "Master.csv"
    offset = cdr.stat().st_size if cdr.exists() else 0
    out: dict = {"mode": mode, "concurrent": n, "hold_s": b.hold, "walkers": walkers, "early_hangups": early,
                 "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    asterisk = pbxmod.start(b.pbx, layout)
    engine, phones = None, []
    try:
        if mode == "engine":
            engine = start_engine(b)
        secrets = load_or_create(site.paths.secrets, site_secret_names(site))
        for ext in site.agents.extensions:
            phones.append(sipp.AgentPhone(b.work / "phones" / tag, site.ports.sip, f"agent{ext}",
                                          secrets[f"agent{ext}"], answer_after=1000, hangup_after=3000))
        time.sleep(2)
        if engine:
            for ext in site.agents.extensions:
                subprocess.run([sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "agents", "login",
                                str(ext)], cwd=ROOT, check=True, capture_output=True, timeout=60)
        service = site.hotline if mode == "engine" else twin.TWIN_NUMBER
        asterisk_pid = pbxmod.running_pid(layout) or asterisk.pid
        cpu = (cpu_seconds(engine.pid) if engine else 0.0, cpu_seconds(asterisk_pid))
        started, wall = time.time(), datetime.now(UTC).replace(tzinfo=None)
        cap = Capture(site, b.work, tag)
        results, out["peak_calls"] = drive(
            lambda: place(b, walk, callers(b.work, f"walk-{tag}", first, walkers), walkers, rate, service,
                          b.hold + ramp + 120),
            lambda: place(b, leave, callers(b.work, f"early-{tag}", first + walkers, early), early,
                          max(1.0, rate * early / n), service, ramp + 60),
            ramp, cap, PeakCalls(b.pbx, layout))
        time.sleep(3)  # the last tickets close
        delays = first_prompt_delays(cap.sip, cap.rtp, site.ports.sip)
        calls = sum(r["ok"] + r["failed"] for r in results.values())
        asterisk_cpu = cpu_seconds(asterisk_pid) - cpu[1]
        out.update(calls=calls, failed=sum(r["failed"] for r in results.values()),
                   failure_reasons={name: r["why"] for name, r in results.items() if r["failed"]},
                   first_prompt_p50_ms=_ms(percentile(delays, 50)), first_prompt_p99_ms=_ms(percentile(delays, 99)),
                   first_prompt_samples=len(delays), asterisk_cpu_s_per_call=round(asterisk_cpu / max(calls, 1), 4),
                   asterisk_peak_mb=peak_mb(asterisk_pid))
        if engine:
            out["tickets"] = tickets_between(b.db, wall, first, walkers + early)
            password = load_or_create(site.paths.secrets, ["console_admin"])["console_admin"]
            metrics = asyncio.run(agi_metrics(f"http://127.0.0.1:{site.ports.web}", password, started))
            out.update(agi_commands=metrics["agi"]["count"], agi_rtt_p50_ms=metrics["agi"]["p50_ms"],
                       agi_rtt_p99_ms=metrics["agi"]["p99_ms"],
                       engine_cpu_s_per_call=round((cpu_seconds(engine.pid) - cpu[0]) / max(calls, 1), 4),
                       engine_peak_mb=peak_mb(engine.pid))
    finally:
        for p in phones:
            p.stop()
        if engine:
            engine.terminate()
            engine.wait(30)
        pbxmod.stop(asterisk)
    out["cdr_calls"], out["queued_calls"] = count_cdr(b, layout, offset, numbers)
    out["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    twin.purge(site)
    for f in b.work.glob(f"{tag}-*.pcap"):
        f.unlink()
    return out


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 1) if seconds is not None else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrent", type=int, nargs="+", default=[180, 500])
    ap.add_argument("--runs", type=int, default=3, help="runs of each configuration (engine, twin)")
    ap.add_argument("--hold", type=int, default=25, help="seconds a caller who reached no agent waits")
    ap.add_argument("--quick", action="store_true", help="50 callers (or --concurrent), 1 run, 20 s hold")
    ap.add_argument("--prefix", default="", help="before each result file's name, e.g. validation-")
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--report", action="store_true", help="print the table of the stored results; run nothing")
    args = ap.parse_args()
    if args.report:
        stored = [cost_report.read(Path(args.out) / f"{args.prefix}engine-cost-{n}.json") for n in args.concurrent]
        print(cost_report.table([s for s in stored if s], cost_report.capacity(Path(args.out), args.prefix)))
        return 0
    if args.quick:
        args.concurrent, args.runs, args.hold = [50] if args.concurrent == [180, 500] else args.concurrent, 1, 20
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="td-cost-"))
    machine = {"nproc": os.cpu_count(), "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    b = setup(work, args.hold)
    summaries = []
    try:
        for n in args.concurrent:
            pairs = []
            for k in range(1, args.runs + 1):
                print(f"bench: {n} concurrent, run {k}/{args.runs}: engine, then its plain-dialplan twin ...",
                      flush=True)
                engine = run_once(b, "engine", n, f"engine-{n}-{k}")
                baseline = run_once(b, "twin", n, f"twin-{n}-{k}")
                pairs.append(cost_report.pair(engine, baseline, k, args.runs, machine))
                cost_report.write(out / f"{args.prefix}engine-cost-{n}-run{k}.json", pairs[-1])
                print(cost_report.one_line(pairs[-1]), flush=True)
            summary = cost_report.summarize(pairs, machine)
            cost_report.write(out / f"{args.prefix}engine-cost-{n}.json", summary)
            summaries.append(summary)
    finally:
        if not os.environ.get("BENCH_KEEP"):  # BENCH_KEEP=1 keeps the captures, logs and CDR to look at
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(cost_report.table(summaries, cost_report.capacity(out, args.prefix)))
    return 0 if all(cost_report.clean(s) for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
