"""A real Kannel for the tests, from Debian's `kannel` package: `bearerbox` and `smsbox` started by
PID on free loopback ports, with the SMS they deliver read back by the test.

Debian's package does not ship Kannel's `fakesmsc` test program, so the "operator" is Kannel's own
HTTP SMSC type (`smsc = http`, `system-type = kannel`): bearerbox sends each SMS it is given as an
HTTP request (a Kannel-style sendsms call) to `send-url`, here a tiny HTTP receiver in this module
that records what arrived and answers as another Kannel would ("Sent.", 202)."""
from __future__ import annotations

import atexit
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_plus, unquote_to_bytes, urlsplit

from tests.harness.sipp import free_port
from tests.harness.ports import listening

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
HINT = "Kannel is not installed: `apt-get install kannel` (make test does this as root)"


class KannelMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class ArrivedSms:
    """One SMS as the operator side received it from bearerbox."""
    sender: str
    to: str
    text: str  # decoded to Python text from the coding and charset Kannel used (parts joined)
    params: dict[str, str]  # the first part's request
    parts: int = 1  # a long text travels as a concatenated SMS (UDH), joined here as a phone does


def _concatenation(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, number) from a concatenation header (8- or 16-bit reference), else None."""
    i = 1
    while i + 1 < len(udh):
        iei, size = udh[i], udh[i + 1]
        body = udh[i + 2:i + 2 + size]
        if iei == 0x00 and size == 3:
            return body[0], body[1], body[2]
        if iei == 0x08 and size == 4:
            return body[0] << 8 | body[1], body[2], body[3]
        i += 2 + size
    return None


def _decode(params: dict[str, str], raw: dict[str, bytes]) -> str:
    """Kannel sends UCS-2 text (coding=2) as UTF-16BE bytes, marked by `charset`; 7-bit text as is."""
    data = raw.get("text", b"")
    charset = params.get("charset", "").upper()
    if params.get("coding") == "2" or charset in ("UTF-16BE", "UCS-2", "UCS2"):
        return data.decode("utf-16-be")
    return data.decode(charset or "utf-8", errors="replace")


class SmsReceiver:
    """The fake operator: an HTTP server on loopback recording the SMS bearerbox hands over."""

    def __init__(self) -> None:
        self.arrived: list[ArrivedSms] = []
        self.pending: dict[tuple[str, str, int, int], dict[int, ArrivedSms]] = {}  # parts of long SMS
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _take(self, query: bytes) -> None:
                # the raw bytes of each value: the text is UTF-16BE when Kannel sends UCS-2
                raw = {unquote_plus(k): unquote_to_bytes(v.replace("+", " "))
                       for k, _, v in (pair.partition("=") for pair in query.decode("ascii").split("&") if pair)}
                params = {k: v.decode("latin-1") for k, v in raw.items()}
                receiver.take(ArrivedSms(params.get("from", ""), params.get("to", ""), _decode(params, raw), params),
                              raw.get("udh", b""))
                body = b"Sent."
                self.send_response(202)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                self._take(urlsplit(self.path).query.encode("latin-1"))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self._take(self.rfile.read(length))

            def log_message(self, format: str, *args: object) -> None:  # quiet: the test reads `arrived`
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def take(self, part: ArrivedSms, udh: bytes) -> None:
        """A whole SMS is recorded once all its parts are in."""
        concat = _concatenation(udh) if udh else None
        with self.changed:
            if concat is None:
                self.arrived.append(part)
            else:
                ref, total, number = concat
                key = (part.sender, part.to, ref, total)
                parts = self.pending.setdefault(key, {})
                parts[number] = part
                if len(parts) < total:
                    return
                del self.pending[key]
                first = parts[min(parts)]
                self.arrived.append(ArrivedSms(first.sender, first.to, "".join(parts[n].text for n in sorted(parts)),
                                               first.params, total))
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 15) -> list[ArrivedSms]:
        """Until at least `count` SMS have arrived; returns them all."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.arrived) >= count, timeout):
                raise AssertionError(f"{len(self.arrived)} SMS arrived, expected {count}: {self.arrived}")
            return list(self.arrived)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _conf(admin: int, box: int, mo: int, sendsms: int, receiver: int, base: Path, password: str) -> str:
    return f"""# written by tests/harness/kannel.py
group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = {password}
admin-allow-ip = 127.0.0.1
smsbox-port = {box}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{base}/bearerbox.log"
log-level = 0
access-log = "{base}/access.log"

group = smsc
smsc = http
smsc-id = fake
system-type = kannel
send-url = "http://127.0.0.1:{receiver}"
smsc-username = operator
smsc-password = operator
port = {mo}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = "{base}/smsbox.log"
log-level = 0

group = sendsms-user
username = tongdai
password = {password}
max-messages = 10
concatenation = true
"""


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 15) -> None:
    if not listening(port, proc, timeout, every=0.05):
        text = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        raise KannelMissing(f"{what} did not start (port {port}):\n{text}")


class Kannel:
    """bearerbox + smsbox on free loopback ports, with an `SmsReceiver` as the operator.
    `stop()` and `start()` again simulate an outage: the ports stay the same."""

    def __init__(self, password: str = "kannel-test-secret") -> None:
        if not (BEARERBOX.exists() and SMSBOX.exists()):
            raise KannelMissing(HINT)
        self.password = password
        self.base = Path(tempfile.mkdtemp(prefix="td-kannel-"))
        self.receiver = SmsReceiver()
        self.admin, self.box, self.mo, self.sendsms = (free_port(socket.SOCK_STREAM) for _ in range(4))
        self.conf = self.base / "kannel.conf"
        self.conf.write_text(_conf(self.admin, self.box, self.mo, self.sendsms, self.receiver.port, self.base,
                                   password), encoding="utf-8")
        self.bearerbox: subprocess.Popen[bytes] | None = None
        self.smsbox: subprocess.Popen[bytes] | None = None
        self.start()
        atexit.register(self.close)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms}/cgi-bin/sendsms"

    def _spawn(self, binary: Path, name: str) -> subprocess.Popen[bytes]:
        with (self.base / f"{name}.out").open("ab") as out:  # the child keeps its own copy
            return subprocess.Popen([str(binary), str(self.conf)], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)

    def start(self) -> None:
        """bearerbox first (smsbox connects to it), each waited for on its port."""
        self.bearerbox = self._spawn(BEARERBOX, "bearerbox")
        _wait_port(self.admin, self.bearerbox, "bearerbox", self.base / "bearerbox.out")
        self.smsbox = self._spawn(SMSBOX, "smsbox")
        _wait_port(self.sendsms, self.smsbox, "smsbox", self.base / "smsbox.out")
        self._wait_connected()

    def _wait_connected(self, timeout: float = 15) -> None:
        """smsbox's port opens before it has joined bearerbox, and the operator's link comes up a
        moment later: until both, a sendsms gets a temporary refusal. Waited for on bearerbox's
        status page (bounded: a slow start still goes on and the test says what it got)."""
        url = f"http://127.0.0.1:{self.admin}/status.txt?password={self.password}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    status = r.read().decode(errors="replace")
            except OSError:
                status = ""
            boxes = status.split("Box connections:", 1)[-1] if "Box connections:" in status else ""
            if "smsbox" in boxes and "online" in status:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        """smsbox then bearerbox, by PID: SIGTERM, SIGKILL after 10 s."""
        for proc in (self.smsbox, self.bearerbox):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.smsbox = self.bearerbox = None

    def close(self) -> None:
        self.stop()
        self.receiver.close()
        shutil.rmtree(self.base, ignore_errors=True)

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.base.glob("*.log")))
