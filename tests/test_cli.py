"""`tongdai run` (what `make run` starts) and `tongdai pbx ...` against the real Asterisk."""
import asyncio
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from asterisk_conf import Layout
from tests.harness import sipp
from tests.harness.console import ConsoleClient
from tests.harness.site import make_site
from tests.harness.tickets import wait_closed
from tongdai import pbx

ROOT = Path(__file__).resolve().parent.parent


def read_until(proc, needle, timeout=60):
    out, deadline = "", time.monotonic() + timeout
    while needle not in out:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise AssertionError(f"no {needle!r} in output:\n{out}")
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            out += os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
    return out


async def _console_login(base: str, password: str) -> dict:
    client = ConsoleClient(base)
    try:
        r = await client.login("admin", password)
        assert r.status == 200, await r.text()
        async with client.request("GET", "/api/me") as me:
            user = (await me.json())["user"]
        return {"username": user["username"], "role": user["role"]}
    finally:
        await client.close()


def test_run_starts_both_prints_ready_and_sigterm_stops_both(tmp_path):
    site = make_site(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "run"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = read_until(proc, "tongdai ready:")
        assert "Asterisk 22." in out
        assert f"sip:1022@127.0.0.1:{site.ports.sip}" in out
        assert "agent101..agent106" in out and str(site.paths.secrets) in out
        pid = pbx.running_pid(Layout.for_site(site))
        assert pid
        console = re.search(r"Console: (http://127\.0\.0\.1:\d+)/ \(first login: admin / (\S+);", out)
        assert console and console.group(1) == f"http://127.0.0.1:{site.ports.web}", out
        assert asyncio.run(_console_login(*console.groups())) == {"username": "admin", "role": "admin"}

        scenario = sipp.write_citizen(tmp_path, [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"),
                                                 ("pause", 1500)], caller="0914000001", caller_name="Nguyễn Văn A")
        result = sipp.call(site.ports.sip, scenario)
        assert result.successful == 1, str(result)
        [ticket] = wait_closed(site, "0914000001")
        cli = [sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "tickets"]
        show = subprocess.run(cli + ["show", ticket["code"]], cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert show.returncode == 0, show.stderr
        lines = show.stdout.splitlines()
        assert lines[0].startswith(f"Ticket {ticket['code']}  kind=report field=trees")
        assert "0914000001 Nguyễn Văn A" in lines[1]
        timeline = [line.split()[2] for line in lines[2:]]
        assert timeline[:4] == ["answer", "menu", "menu", "report"] and timeline[-1] == "hangup"
        listed = subprocess.run(cli + ["list", "--json", "--field", "trees"], cwd=ROOT, capture_output=True,
                                text=True, timeout=30)
        [row] = json.loads(listed.stdout)
        assert {k: row[k] for k in ("code", "kind", "field", "status", "service", "caller_number")} == {
            "code": ticket["code"], "kind": "report", "field": "trees", "status": "closed", "service": None,
            "caller_number": "0914000001"}
        assert row["caller_name"] == "Nguyễn Văn A" and row["created_at"] and row["events"][0]["kind"] == "answer"
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert proc.returncode == 0, rest
    assert "stopped" in rest
    assert not Path(f"/proc/{pid}").exists()  # no Asterisk left running


def test_pbx_start_status_stop(tmp_path):
    site = make_site(tmp_path)
    cli = [sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "pbx"]
    started = subprocess.run(cli + ["start"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    try:
        assert started.returncode == 0, started.stderr
        status = subprocess.run(cli + ["status"], cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert status.returncode == 0 and "running, PID" in status.stdout and "System uptime" in status.stdout
    finally:
        stopped = subprocess.run(cli + ["stop"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert "stopped" in stopped.stdout
    status = subprocess.run(cli + ["status"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert status.returncode == 3 and "not running" in status.stdout


def test_install_is_idempotent_and_fast(tmp_path):
    site = make_site(tmp_path)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "pbx", "install"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "already available" in done.stdout
    assert time.monotonic() - start < 30
