"""Fixtures: the real Asterisk 22 (session), the engine as a process, SIPp and AMI helpers.

A test that needs Asterisk or SIPp fails when they are missing; it never skips.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from asterisk_conf import Layout
from tests.harness import postgres as pgmod
from tests.harness import site as site_harness
from tests.harness.ami import AmiTap
from tests.harness.ports import listening
from tests.harness.site import make_site
from tongdai import pbx as pbxmod
from tongdai.cli import render_site
from config import Site, load_site
from config.secrets import load_or_create, site_secret_names

ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header(config):
    try:
        p = pbxmod.locate(load_site())
        asterisk = f"Asterisk {p.version} ({p.root or p.binary})"
    except pbxmod.PbxError as e:
        asterisk = f"MISSING ({e})"
    sipp = shutil.which("sipp")
    version = subprocess.run([sipp, "-v"], capture_output=True, text=True).stdout.strip().splitlines()
    try:
        pg = subprocess.run([str(pgmod.bin_dir() / "postgres"), "--version"], capture_output=True, text=True,
                            timeout=30).stdout.strip()
    except pgmod.PostgresMissing as e:
        pg = f"MISSING ({e})"
    return [f"real PBX: {asterisk}", f"sipp: {version[0].strip() if version else 'MISSING'}",
            f"PostgreSQL: {pg}", f"CI={os.environ.get('CI', '')}"]


# Modules whose tests touch the database: each of their tests runs on SQLite and on PostgreSQL.
BOTH_BACKENDS = {"test_store", "test_writer", "test_flows", "test_callbacks", "test_agents", "test_reports",
                 "test_stats", "test_web_roles", "test_web_security", "test_phones", "test_users_cli",
                 "test_recordings", "test_postgres", "test_backup", "test_agencies_cli", "test_forwarding",
                 "test_agency_console", "test_reminders", "test_citizen_reply", "test_open311",
                 "test_agency_stats", "test_sharing", "test_exports", "test_map_point", "test_portal_lookup",
                 "test_portal_results", "test_publication", "test_web_report_form"}
_server: pgmod.PostgresServer | None = None
RAN: dict[str, int] = {"sqlite": 0, "postgresql": 0}


def postgres_server() -> pgmod.PostgresServer:
    """The session's PostgreSQL, started on first use; missing or broken, the test fails (never skips)."""
    global _server
    if _server is None:
        try:
            _server = pgmod.PostgresServer()
        except (pgmod.PostgresMissing, OSError) as e:
            pytest.fail(f"real PostgreSQL required: {e}")
    return _server


POSTGRES_ONLY = {"test_postgres_calls"}  # the real-PBX tests on PostgreSQL (the others use SQLite)


OWN_PBX = {"test_postgres_calls"}  # modules that start their own Asterisk
# the PBX tests run as two pytest runs, each with its own Asterisk (tests/run_parallel.py): these
# modules in one (about half of the time spent waiting on calls), the others in the other
PBX_FIRST_HALF = {"test_acd", "test_agency_case", "test_backup_calls", "test_emergency_calls", "test_status_calls",
                  "test_web_desk"}


def pytest_collection_modifyitems(items):
    """Mark every test that runs on a real Asterisk `pbx`: `make test` runs them beside the others
    (tests/run_parallel.py), since on two cores they mostly wait on the PBX's timers."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        if "real_pbx" in getattr(item, "fixturenames", ()) or module in OWN_PBX:
            item.add_marker(pytest.mark.pbx)
            if module in PBX_FIRST_HALF:
                item.add_marker(pytest.mark.pbx_first)


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "backend" in metafunc.fixturenames and module in BOTH_BACKENDS:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
    elif "backend" in metafunc.fixturenames and module in POSTGRES_ONLY:
        metafunc.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def backend(request):
    """The database a test's sites use: SQLite in the data folder, or a fresh PostgreSQL database."""
    name = getattr(request, "param", "sqlite")
    RAN[name] += 1
    if name == "postgresql":
        server = postgres_server()
        site_harness.new_database_url = server.new_database
    try:
        yield name
    finally:
        site_harness.new_database_url = None


def pytest_sessionfinish(session, exitstatus):
    if _server is not None:
        _server.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _server is not None:
        terminalreporter.write_line(f"PostgreSQL used: {_server.version}")
    terminalreporter.write_line(f"tests by database backend: sqlite {RAN['sqlite']}, postgresql {RAN['postgresql']}")


@dataclass
class RunningPbx:
    site: Site
    pbx: pbxmod.Pbx
    layout: Layout
    proc: subprocess.Popen

    @property
    def secrets(self) -> dict[str, str]:
        return load_or_create(self.site.paths.secrets, site_secret_names(self.site))

    def ami(self) -> AmiTap:
        return AmiTap(self.site.ports.ami, self.secrets["ami"])

    def rx(self, command: str) -> str:
        return pbxmod.rx(self.pbx, self.layout, command)

    def wait_reachable(self, user: str, timeout: float = 10) -> None:
        """Until Asterisk has qualified the phone's contact (a fresh one is Unavailable)."""
        deadline = time.monotonic() + timeout
        while not any(line.split()[1].startswith(f"{user}/") and "Avail" in line
                      for line in self.rx("pjsip show contacts").splitlines() if line.strip().startswith("Contact:")):
            assert time.monotonic() < deadline, self.rx("pjsip show contacts")
            time.sleep(0.2)

    def log(self, name: str = "messages.log") -> str:
        path = self.layout.log / name
        return path.read_text(errors="replace") if path.exists() else ""


def start_pbx(base: Path, **changes) -> RunningPbx:
    site = make_site(base, **changes)
    try:
        p = pbxmod.locate(site)
    except pbxmod.PbxError as e:
        pytest.fail(f"real Asterisk required: {e}")
    if not shutil.which("sipp"):
        pytest.fail("SIPp required: apt-get install sip-tester")
    layout = render_site(site)
    proc = pbxmod.start(p, layout)
    return RunningPbx(site, p, layout, proc)


# Short rings and wrap-up keep the ACD tests quick; the behaviour is the same.
TEST_QUEUES = [
    {"name": "operator", "ring_timeout": 5, "wrapup": 4, "max_wait": 120},
    {"name": "admin", "fields": ["admin"], "ring_timeout": 5, "wrapup": 4, "max_wait": 120},
    {"name": "incidents", "fields": ["traffic", "water", "drainage", "trees", "lighting", "electricity", "telecom",
                                     "transport", "environment", "urban_order"],
     "ring_timeout": 5, "wrapup": 4, "max_wait": 120},
]


@pytest.fixture(scope="session")
def real_pbx():
    base = Path(tempfile.mkdtemp(prefix="td-"))
    # No callback offer and no automatic dialling unless a test asks: the other tests stay deterministic.
    # No outcome needed before Ready either (an agent taking several calls is not paused between them);
    # tests/test_web_desk.py runs its engine on a variant of this site that needs one.
    running = start_pbx(base, queues=TEST_QUEUES, callbacks={"ring_timeout": 5, "offer_after_s": 0, "auto": False},
                        desk={"outcome_required": False})
    yield running
    pbxmod.stop(running.proc)
    shutil.rmtree(base, ignore_errors=True)


class EngineProcess:
    """`tongdai engine` for a site, as its own process (as in production)."""

    def __init__(self, site: Site, log: Path, site_file: Path | None = None):
        self.site, self.log_path = site, log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tongdai.cli", "--site", str(site_file or site.file), "engine"], cwd=ROOT,
            stdout=log.open("ab"), stderr=subprocess.STDOUT, env={**os.environ, "TONGDAI_LOG": "DEBUG"})
        if not listening(site.ports.agi, self.proc, 20, every=0.1):
            self.stop()  # never left running by a failed start
            raise RuntimeError(f"engine did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"no {text!r} in the engine log:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def engine(real_pbx, tmp_path):
    proc = EngineProcess(real_pbx.site, tmp_path / "engine.log")
    yield proc
    proc.stop()


@pytest.fixture
def ami(real_pbx):
    tap = real_pbx.ami()
    yield tap
    tap.close()


@pytest.fixture
def workdir(tmp_path):
    tmp_path.chmod(0o755)
    return tmp_path
