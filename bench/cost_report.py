"""The figures of bench/engine_cost.py and bench/capacity.py: one JSON per run, medians, the table.

A run pairs an engine run with the twin run that followed it at the same N (the matched
baseline). Its JSON keeps bench/load.py's keys (the `baseline_*` ones are the twin's) and adds
`first_prompt_p50_delta_ms` / `first_prompt_p99_delta_ms` (engine minus twin) and `cdr_calls`
(the engine run's calls in Asterisk's CDR; `baseline_cdr_calls` the twin's).
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

METHOD = "engine_cost: RTP callers (pcap), plain-dialplan twin with the same recording, prompts, queues and agents"
ENGINE_KEYS = ("concurrent", "hold_s", "peak_calls", "calls", "failed", "walkers", "early_hangups", "tickets",
               "first_prompt_p50_ms", "first_prompt_p99_ms", "first_prompt_samples", "agi_commands",
               "agi_rtt_p50_ms", "agi_rtt_p99_ms", "engine_cpu_s_per_call", "asterisk_cpu_s_per_call",
               "engine_peak_mb", "asterisk_peak_mb", "cdr_calls", "queued_calls", "failure_reasons")
BASELINE_KEYS = ("calls", "failed", "first_prompt_p50_ms", "first_prompt_p99_ms", "first_prompt_samples",
                 "peak_calls", "cdr_calls", "queued_calls", "asterisk_peak_mb", "failure_reasons")


def _diff(a: float | None, b: float | None) -> float | None:
    return round(a - b, 1) if a is not None and b is not None else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def pair(engine: dict, twin: dict, run: int, runs: int, machine: dict) -> dict[str, Any]:
    r: dict[str, Any] = {k: engine.get(k) for k in ENGINE_KEYS}
    r.update({f"baseline_{k}": twin.get(k) for k in BASELINE_KEYS})
    r["baseline_asterisk_cpu_s_per_call"] = twin.get("asterisk_cpu_s_per_call")
    r["first_prompt_p50_delta_ms"] = _diff(r["first_prompt_p50_ms"], r["baseline_first_prompt_p50_ms"])
    r["first_prompt_p99_delta_ms"] = _diff(r["first_prompt_p99_ms"], r["baseline_first_prompt_p99_ms"])
    r["ratio_first_prompt"] = _ratio(r["first_prompt_p50_ms"], r["baseline_first_prompt_p50_ms"])
    r["ratio_first_prompt_p99"] = _ratio(r["first_prompt_p99_ms"], r["baseline_first_prompt_p99_ms"])
    r.update(run=run, runs=runs, at=engine.get("at"), baseline_at=twin.get("at"), machine=f"{machine['nproc']} cores",
             nproc=machine["nproc"], load_avg_start=engine.get("load_avg_start"),
             baseline_load_avg_start=twin.get("load_avg_start"), bench_load_avg_start=machine["load_avg_start"],
             method=METHOD)
    return r


def _numbers(rows: list[dict], key: str) -> list[float]:
    return [r[key] for r in rows if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]


def summarize(rows: list[dict], machine: dict) -> dict[str, Any]:
    """Median, min and max of every figure over the runs at one N."""
    keys = [k for k in rows[0] if _numbers(rows, k) and k not in ("run", "runs", "concurrent", "nproc")]
    return {"concurrent": rows[0]["concurrent"], "runs": len(rows), "method": METHOD, "nproc": machine["nproc"],
            "load_avg_start": machine["load_avg_start"], "at": rows[-1].get("at"),
            "median": {k: round(statistics.median(_numbers(rows, k)), 4) for k in keys},
            "min": {k: min(_numbers(rows, k)) for k in keys}, "max": {k: max(_numbers(rows, k)) for k in keys},
            "each_run": rows}


def clean(summary: dict) -> bool:
    """Every run: no failed call on either side, and tickets == calls == Asterisk's CDR count."""
    return all(r["failed"] == 0 and r["baseline_failed"] == 0 and r["tickets"] == r["calls"] == r["cdr_calls"]
               for r in summary["each_run"])


def write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def capacity(results: Path, prefix: str = "") -> dict | None:
    """The capacity search's result with this prefix, else the real one."""
    return read(results / f"{prefix}capacity.json") or read(results / "capacity.json")


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if abs(value) >= 1 or value == 0 else f"{value:.4f}".rstrip("0")


def cell(s: dict, key: str) -> str:
    """The median, with the spread (min-max) when the runs differ."""
    if key not in s["median"]:
        return "-"
    med, lo, hi = s["median"][key], s["min"][key], s["max"][key]
    return _fmt(med) if lo == hi else f"{_fmt(med)} ({_fmt(lo)}–{_fmt(hi)})"


# (header, keys, "/" when two figures share a cell; each figure is a median with its spread)
COLUMNS = (("concurrent", ("concurrent",), ""), ("runs", ("runs",), ""), ("calls", ("calls",), ""),
           ("failed / baseline", ("failed", "baseline_failed"), "/"), ("tickets", ("tickets",), ""),
           ("CDR calls / baseline", ("cdr_calls", "baseline_cdr_calls"), "/"),
           ("first prompt p50 / p99 ms", ("first_prompt_p50_ms", "first_prompt_p99_ms"), "/"),
           ("baseline p50 / p99 ms", ("baseline_first_prompt_p50_ms", "baseline_first_prompt_p99_ms"), "/"),
           ("**engine − baseline p50 / p99 ms**", ("first_prompt_p50_delta_ms", "first_prompt_p99_delta_ms"), "/"),
           ("AGI RTT p50 / p99 ms", ("agi_rtt_p50_ms", "agi_rtt_p99_ms"), "/"),
           ("engine CPU s/call", ("engine_cpu_s_per_call",), ""),
           ("Asterisk CPU s/call / baseline", ("asterisk_cpu_s_per_call", "baseline_asterisk_cpu_s_per_call"), "/"),
           ("peak MB engine / Asterisk", ("engine_peak_mb", "asterisk_peak_mb"), "/"))


def _row_cell(s: dict, keys: tuple[str, ...], style: str) -> str:
    if keys in (("concurrent",), ("runs",)):
        return str(s[keys[0]])
    cells = [cell(s, k) for k in keys]
    return " / ".join(cells) if style == "/" else cells[0]


def table(summaries: list[dict], capacity: dict | None) -> str:
    lines = ["| " + " | ".join(c[0] for c in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for s in summaries:
        lines.append("| " + " | ".join(_row_cell(s, keys, style) for _, keys, style in COLUMNS) + " |")
    if summaries:
        s = summaries[0]
        lines.append(f"\nMedian (min–max) of {s['runs']} run(s) each; {s['nproc']} cores, load average at start "
                     f"{' / '.join(str(x) for x in s['load_avg_start'])}; {s.get('at')}.")
    lines.append(capacity_line(capacity))
    lines.extend(goals(summaries, capacity))
    return "\n".join(lines)


def _at(summaries: list[dict], n: int) -> dict | None:
    return next((s for s in summaries if s["concurrent"] == n), None)


def goals(summaries: list[dict], capacity: dict | None) -> list[str]:
    """The issue's goals, each with the measured median and whether it is reached (never asserted)."""
    out = ["", "Goals (medians of the runs above):"]

    def line(goal: str, value: str, reached: bool | None) -> None:
        verdict = "not measured" if reached is None else "reached" if reached else "NOT reached"
        out.append(f"- {goal}: {value} — {verdict}")

    s180, s500 = _at(summaries, 180), _at(summaries, 500)
    cpu = s180["median"].get("engine_cpu_s_per_call") if s180 else None
    line("engine CPU ≤ 5 ms per call at 180", f"{cpu * 1000:.1f} ms" if cpu is not None else "-",
         None if cpu is None else cpu <= 0.005)
    p99 = s180["median"].get("first_prompt_p99_delta_ms") if s180 else None
    line("first prompt p99 within 20 ms of the baseline at 180", f"{_fmt(p99)} ms" if p99 is not None else "-",
         None if p99 is None else p99 <= 20)
    if s500:
        runs = s500["each_run"]
        failed = [r["failed"] for r in runs]
        books = all(r.get("tickets") == r.get("cdr_calls") for r in runs)
        line("0 failed calls at 500, tickets == Asterisk's CDR", f"failed {failed} per run, tickets == CDR in "
             f"{'every' if books else 'not every'} run", max(failed) == 0 and books)
    else:
        line("0 failed calls at 500, tickets == Asterisk's CDR", "-", None)
    ratio = capacity.get("capacity_ratio") if capacity else None
    line("capacity ratio engine / baseline ≥ 0.9", _fmt(ratio), None if ratio is None else ratio >= 0.9)
    mb = s500["median"].get("engine_peak_mb") if s500 else None
    line("engine peak memory ≤ 120 MB at 500", f"{_fmt(mb)} MB" if mb is not None else "-",
         None if mb is None else mb <= 120)
    return out


def capacity_line(capacity: dict | None) -> str:
    if not capacity:
        return "Capacity ratio: not measured yet (python bench/capacity.py --from 200 --to 800 --step 100 --runs 3)."
    return (f"Capacity ({capacity.get('from')}→{capacity.get('to')} by {capacity.get('step')}, "
            f"{capacity.get('runs')} run(s), {capacity.get('at')}): engine {capacity.get('engine_capacity')}, "
            f"baseline {capacity.get('baseline_capacity')}, **capacity ratio {capacity.get('capacity_ratio')}**")


def one_line(r: dict) -> str:
    return (f"  run {r['run']}: calls {r['calls']} failed {r['failed']} tickets {r['tickets']} CDR {r['cdr_calls']}"
            f" queued {r['queued_calls']} | twin calls {r['baseline_calls']} failed {r['baseline_failed']}"
            f" CDR {r['baseline_cdr_calls']} queued {r['baseline_queued_calls']}"
            f" | first prompt p50/p99 {r['first_prompt_p50_ms']}/{r['first_prompt_p99_ms']} ms,"
            f" twin {r['baseline_first_prompt_p50_ms']}/{r['baseline_first_prompt_p99_ms']} ms,"
            f" delta {r['first_prompt_p50_delta_ms']}/{r['first_prompt_p99_delta_ms']} ms"
            f" | engine CPU {r['engine_cpu_s_per_call']} s/call")
