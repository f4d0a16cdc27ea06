"""The `tongdai` command line as a process, against a test site."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def cli(site, *args, check: bool = True, timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run `tongdai --site SITE ARGS...`; with `check`, a non-zero exit fails the test."""
    done = subprocess.run([sys.executable, "-m", "tongdai.cli", "--site", str(site.file), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, input=stdin)
    assert not check or done.returncode == 0, done.stdout + done.stderr
    return done
