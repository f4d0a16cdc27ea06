"""`make test`: the suite as three pytest runs side by side, the tests on the real Asterisk (marked
`pbx` by tests/conftest.py) in two halves, each with its own Asterisk, and all the others. On the
2-core machine the PBX tests spend most of their time waiting on the PBX's timers (rings, wrap-up,
prompts), so they and the rest fit side by side; each run has its own PostgreSQL and its own free
ports. Each run's output is kept in test-artifacts/pytest-<group>.log and printed whole when all
are done; the exit code is the worst of them.

    python -m tests.run_parallel [pytest arguments...]
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUPS = (("pbx-1", "pbx and pbx_first"), ("pbx-2", "pbx and not pbx_first"), ("other", "not pbx"))


def main(args: list[str]) -> int:
    logs = ROOT / "test-artifacts"
    logs.mkdir(exist_ok=True)
    started = time.monotonic()
    runs = []
    for name, marker in GROUPS:
        log = logs / f"pytest-{name}.log"
        out = log.open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "-m", marker, *args], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
        runs.append((name, proc, log, out))
        print(f"pytest -m '{marker}' started (pid {proc.pid}), output in {log.relative_to(ROOT)}", flush=True)
    codes = {}
    try:
        for name, proc, _log, out in runs:
            codes[name] = proc.wait()
            out.close()
    finally:  # interrupted: stop the runs we started (each stops its own Asterisk, SIPp, PostgreSQL)
        for _name, proc, _log, _out in runs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(60)
    for name, _proc, log, _out in runs:
        print(f"\n{'=' * 30} {name}: exit {codes[name]} {'=' * 30}", flush=True)
        sys.stdout.write(log.read_text(errors="replace"))
    print(f"\nall runs done in {time.monotonic() - started:.0f} s: " +
          ", ".join(f"{name} exit {code}" for name, code in codes.items()), flush=True)
    return max(codes.values())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
