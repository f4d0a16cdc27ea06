"""Capacity search: the most concurrent callers the engine, and its plain-dialplan twin, serve cleanly.

For N from `--from` to `--to` by `--step`, each configuration still in the search runs `--runs`
times (engine and twin alternating, the calls as in bench/engine_cost.py). A point passes when
every run has no failed call and Asterisk's CDR holds every call (and, for the engine, a ticket
for every call). A configuration's capacity is the last N it passed before its first failure (0:
it failed at `--from`); it leaves the search at that failure. The ratio engine / baseline goes
with both into `capacity.json`, and every run's figures into `capacity-<mode>-<N>-run<k>.json`.

    python bench/capacity.py --from 200 --to 800 --step 100 --runs 3    # hours on 2 cores
    python bench/capacity.py --quick                                     # 50 and 100, 1 run, 20 s hold
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import datetime, UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cost_report  # noqa: E402
from bench.engine_cost import run_once, setup  # noqa: E402

HERE = Path(__file__).parent
MODES = {"engine": "engine_capacity", "twin": "baseline_capacity"}


def passed(run: dict) -> bool:
    """Every call succeeded and is in Asterisk's CDR; through the engine, every call is a ticket too."""
    ok = run["failed"] == 0 and run["cdr_calls"] == run["calls"]
    return ok and (run["mode"] != "engine" or run.get("tickets") == run["calls"])


def ratio(engine: int, baseline: int) -> float | None:
    return round(engine / baseline, 2) if baseline else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="start", type=int, default=200)
    ap.add_argument("--to", dest="stop", type=int, default=800)
    ap.add_argument("--step", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hold", type=int, default=25, help="seconds a caller who reached no agent waits")
    ap.add_argument("--quick", action="store_true", help="a small check: 50 and 100, 1 run, 20 s hold")
    ap.add_argument("--prefix", default="", help="before each result file's name, e.g. validation-")
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args()
    if args.quick:
        args.start, args.stop, args.step, args.runs, args.hold = 50, 100, 50, 1, 20
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = {"nproc": os.cpu_count(), "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    work = Path(tempfile.mkdtemp(prefix="td-capacity-"))
    b = setup(work, args.hold)
    capacity = {mode: 0 for mode in MODES}
    searching = list(MODES)
    points: list[dict] = []
    try:
        for n in range(args.start, args.stop + 1, args.step):
            if not searching:
                break
            good = {mode: True for mode in searching}
            for k in range(1, args.runs + 1):
                for mode in [m for m in searching if good[m]]:
                    print(f"capacity: {mode} at {n} concurrent, run {k}/{args.runs} ...", flush=True)
                    r = run_once(b, mode, n, f"{mode}-{n}-{k}")
                    r.update(run=k, runs=args.runs, nproc=machine["nproc"], passed=passed(r))
                    cost_report.write(out / f"{args.prefix}capacity-{mode}-{n}-run{k}.json", r)
                    points.append({k2: r.get(k2) for k2 in ("mode", "concurrent", "run", "calls", "failed",
                                                            "tickets", "cdr_calls", "passed", "first_prompt_p99_ms")})
                    print(f"  calls {r['calls']} failed {r['failed']} tickets {r.get('tickets', '-')} "
                          f"CDR {r['cdr_calls']}: {'pass' if r['passed'] else 'FAIL'}", flush=True)
                    good[mode] = good[mode] and r["passed"]
            for mode in list(searching):
                if good[mode]:
                    capacity[mode] = n
                else:
                    searching.remove(mode)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"engine_capacity": capacity["engine"], "baseline_capacity": capacity["twin"],
              "capacity_ratio": ratio(capacity["engine"], capacity["twin"]),
              "from": args.start, "to": args.stop, "step": args.step, "runs": args.runs, "hold_s": args.hold,
              "still_passing_at_end": searching, "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "nproc": machine["nproc"], "load_avg_start": machine["load_avg_start"], "method": cost_report.METHOD,
              "points": points}
    cost_report.write(out / f"{args.prefix}capacity.json", result)
    print(cost_report.capacity_line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
