"""SIPp as citizens (UAC) and as phones (UAS), from the scenario templates in tests/sipp/."""
from __future__ import annotations

import atexit
import csv
import random
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2

SCENARIOS = Path(__file__).resolve().parent.parent / "sipp"
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(SCENARIOS), undefined=jinja2.StrictUndefined)


def sipp_binary() -> str:
    path = shutil.which("sipp")
    if not path:
        raise RuntimeError("SIPp is not installed: `apt-get install sip-tester` (make test does this as root)")
    return path


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rtp_range(size: int) -> list[str]:
    """A media port base with `size` free even/odd pairs above it (SIPp takes ports from -mp up)."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 60000 - 4 * size, 2)
        probes = []
        try:
            for port in range(base, base + 4 * max(size, 4), 2):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in probes:
                sock.close()
        return ["-mi", "127.0.0.1", "-mp", str(base)]
    raise RuntimeError("no free RTP port range for SIPp")


@dataclass
class SippResult:
    returncode: int
    successful: int
    failed: int
    workdir: Path

    @property
    def errors(self) -> str:
        files = list(self.workdir.glob("*_errors.log"))
        return files[0].read_text(errors="replace")[-3000:] if files else ""

    def __str__(self) -> str:
        return f"sipp exit {self.returncode}: {self.successful} ok, {self.failed} failed\n{self.errors}"


def write_citizen(workdir: Path, steps: list[tuple[str, object]], end: str = "bye", caller: str = "0901234567",
                  caller_name: str = "Citizen", bye_timeout: int = 60000, name: str = "citizen") -> Path:
    """steps: ("pause", ms) and ("dtmf", "24"); end: "bye" (the citizen hangs up) or "wait_bye"."""
    path = workdir / f"{name}.xml"
    path.write_text(_env.get_template("citizen.xml.j2").render(
        steps=steps, end=end, caller=caller, caller_name=caller_name, bye_timeout=bye_timeout))
    return path


def write_refused(workdir: Path, caller: str, code: int = 503, name: str = "refused") -> Path:
    """A citizen whose call must be refused with `code` (any other answer fails the call)."""
    path = workdir / f"{name}.xml"
    path.write_text(_env.get_template("stranger.xml.j2").render(caller=caller, caller_name="Citizen", codes=(code,)))
    return path


def write_seat_call(workdir: Path, user: str, password: str, steps: list[tuple[str, object]], end: str = "bye",
                    bye_timeout: int = 30000, name: str | None = None) -> Path:
    """A seat phone dialling with digest auth (feature codes): steps as for `write_citizen`."""
    path = workdir / f"{name or 'seat-' + user}.xml"
    path.write_text(_env.get_template("seat_call.xml.j2").render(user=user, password=password, steps=steps, end=end,
                                                                  bye_timeout=bye_timeout))
    return path


def _stats(workdir: Path, stem: str = "") -> tuple[int, int]:
    files = sorted(workdir.glob(f"{stem}*_.csv"), key=lambda p: p.stat().st_mtime)
    if not files:
        return 0, 0
    rows = list(csv.reader(files[-1].open(), delimiter=";"))
    if len(rows) < 2:
        return 0, 0
    head, last = rows[0], rows[-1]
    return int(last[head.index("SuccessfulCall(C)")]), int(last[head.index("FailedCall(C)")])


def call(sip_port: int, scenario: Path, calls: int = 1, concurrent: int = 1, rate: float = 10,
         service: str = "1022", timeout: float = 120) -> SippResult:
    """Place `calls` calls (at most `concurrent` at once) and wait for them all to end."""
    workdir = scenario.parent
    argv = [sipp_binary(), f"127.0.0.1:{sip_port}", "-sf", str(scenario), "-s", service,
            "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(calls), "-l", str(concurrent),
            "-r", str(rate), "-rp", "1000", *_rtp_range(concurrent), "-nostdin",
            "-trace_err", "-trace_stat", "-fd", "1", "-timeout", f"{int(timeout)}s", "-timeout_error",
            "-max_socket", "2048"]
    done = subprocess.run(argv, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=timeout + 30)
    ok, failed = _stats(workdir, scenario.stem + "_")
    if done.returncode != 0 and not ok and not failed:
        (workdir / f"{scenario.stem}_errors.log").open("a").write(done.stderr.decode(errors="replace"))
    return SippResult(done.returncode, ok, failed, workdir)


class Phone:
    """A SIPp UAS answering every call after `answer_after` ms, on its own port; with `audio`
    (raw A-law, see `tone`) it talks, in a loop, once the call is up."""

    def __init__(self, workdir: Path, user: str, port: int | None = None, answer_after: int = 500,
                 calls: int = 1000, bye_timeout: int = 120000, hangup_after: int = 0, audio: Path | None = None):
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.workdir = workdir
        scenario = workdir / f"phone-{user}.xml"
        scenario.write_text(_env.get_template("phone.xml.j2").render(
            user=user, answer_after=answer_after, bye_timeout=bye_timeout, hangup_after=hangup_after,
            audio=audio))
        self.proc = subprocess.Popen(
            [sipp_binary(), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(self.port), "-m", str(calls),
             *_rtp_range(50), "-aa", "-nostdin", "-trace_err", "-trace_stat", "-fd", "1"],
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self.stop)  # never leave a SIPp phone behind, even when a test run is cut short
        time.sleep(0.3)

    def answered(self) -> int:
        """Calls this phone completed; stops the phone first so its statistics are final."""
        self.stop()
        return _stats(self.workdir)[0]

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def register(sip_port: int, workdir: Path, user: str, password: str, contact_port: int) -> None:
    """REGISTER `user` (digest auth) with its contact on `contact_port`."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / f"register-{user}.xml"
    scenario.write_text(_env.get_template("register.xml.j2").render(user=user, password=password,
                                                                       contact_port=contact_port))
    done = subprocess.run([sipp_binary(), f"127.0.0.1:{sip_port}", "-sf", str(scenario), "-i", "127.0.0.1",
                           "-p", str(free_port()), "-m", "1", "-nostdin", "-trace_err", "-timeout", "10s",
                           "-timeout_error"], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=30)
    if done.returncode != 0:
        errors = "".join(p.read_text(errors="replace") for p in workdir.glob(f"register-{user}*_errors.log"))
        raise AssertionError(f"REGISTER {user} failed ({done.returncode}): {errors[-2000:]}")


class AgentPhone(Phone):
    """A registered seat phone (agentNNN / supervisorNNN) answering as a UAS."""

    def __init__(self, workdir: Path, sip_port: int, user: str, password: str, **kw):
        super().__init__(workdir / user, user, **kw)
        register(sip_port, workdir / user, user, password, self.port)


def tone(workdir: Path, seconds: int = 10) -> Path:
    """Raw A-law audio (a 440 Hz tone) for `("audio", path)` steps: the caller speaking."""
    path = workdir / "tone.alaw"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", str(path), "synth",
                    str(seconds), "sine", "440", "vol", "0.3"], check=True, timeout=30)
    return path
