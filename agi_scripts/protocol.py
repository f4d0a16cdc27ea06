"""The FastAGI wire protocol, as Asterisk 22 speaks it (see tests/fixtures/agi_*.txt).

One `AgiChannel` per call owns the socket. Every command goes through `send()`, which
writes one line and reads exactly one answer, keeping the stream in step:

* a bare ``HANGUP`` line may arrive before the answer to the command in flight; the
  answer is still read, then `CallHangup` is raised;
* ``511`` means the channel is dead: `CallHangup`;
* ``510`` (unknown command) and ``520`` (bad usage, possibly multi-line ``520-`` ... ``520
  End of proper usage.``) raise `AgiCommandError`: they are bugs of ours, not of the caller.

Asterisk never closes a FastAGI socket; the server does when the flow ends.
"""
from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_HEADER_LINES = 64
MAX_LINE = 4096
HEADER_TIMEOUT = 5.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RESULT = re.compile(r"^result=(-?[0-9*#A-D]*)(?:\s+\((.*)\))?(?:\s+endpos=(-?\d+))?\s*$")


class RoundTrips:
    """Recent command round trips (send to answer), for /api/metrics and the benchmark. Commands
    that play, record, wait or bridge (their time is the caller's) are left out."""

    LONG = ("ANSWER", "STREAM FILE", "CONTROL STREAM", "GET DATA", "GET OPTION", "WAIT FOR DIGIT", "RECORD FILE",
            "SAY ", "EXEC")  # ANSWER waits for the caller's first media, up to 500 ms
    INSTANT_EXEC = ("EXEC MixMonitor", "EXEC Set", "EXEC UserEvent", "EXEC StopMixMonitor")

    def __init__(self, size: int = 200_000):
        self.samples: deque[tuple[float, float]] = deque(maxlen=size)

    def add(self, line: str, seconds: float) -> None:
        if line.startswith(self.INSTANT_EXEC) or not line.startswith(self.LONG):
            self.samples.append((time.time(), seconds))

    def since(self, epoch: float) -> list[float]:
        return [s for t, s in self.samples if t >= epoch]


ROUND_TRIPS = RoundTrips()


class CallHangup(Exception):
    """The caller hung up (or the channel died). Raised once, caught at the session boundary."""


class AgiCommandError(RuntimeError):
    """Asterisk refused a command as unknown (510) or badly formed (520)."""


class BadHeader(ValueError):
    """The connection did not start with a complete AGI environment."""


@dataclass(frozen=True)
class Reply:
    code: int
    result: int = 0
    data: str | None = None
    endpos: int | None = None
    text: str = ""
    raw: str = ""  # the result exactly as sent: GET DATA digits keep leading zeros and '*'


@dataclass(frozen=True)
class Environment:
    """The `agi_*` variables Asterisk sends first, plus the routed script and its arguments."""

    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key if key.startswith("agi_") else f"agi_{key}", "")

    @property
    def script(self) -> str:
        return self["network_script"].split("?", 1)[0].strip("/")

    @property
    def args(self) -> dict[str, str]:
        _, _, query = self["network_script"].partition("?")
        return dict(parse_qsl(query, keep_blank_values=True))

    @property
    def uniqueid(self) -> str:
        return self["uniqueid"]


def decode(raw: bytes) -> str:
    """Lenient decoding: UTF-8, bad bytes replaced, so no caller name can drop a call."""
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _clean(text: str) -> str:
    """Control characters (a caller ID can carry them) become spaces."""
    return _CONTROL.sub(" ", text).strip()


async def _line(reader: asyncio.StreamReader) -> str:
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            raise ConnectionResetError("AGI connection closed") from None
        raw = e.partial
    except asyncio.LimitOverrunError:
        raise BadHeader("AGI line too long") from None
    return decode(raw)


async def read_environment(reader: asyncio.StreamReader, timeout: float = HEADER_TIMEOUT) -> Environment:
    """Read `agi_key: value` lines up to the blank line, bounded in lines and time."""
    async def read() -> Environment:
        values: dict[str, str] = {}
        last = ""
        for _ in range(MAX_HEADER_LINES):
            try:
                line = await _line(reader)
            except ConnectionResetError:
                raise BadHeader("connection closed before the AGI environment ended") from None
            if not line:
                if "agi_network_script" not in values and "agi_request" not in values:
                    raise BadHeader("AGI environment without agi_network_script")
                return Environment(values)
            key, sep, value = line.partition(":")
            if not sep or not key.startswith("agi_") or " " in key.strip():
                if not last:
                    raise BadHeader(f"not an AGI environment line: {line[:60]!r}")
                # a caller-controlled value (caller ID, name) carried a line break: it stays one value
                values[last] = f"{values[last]} {_clean(line)}".strip()
                continue
            last = key.strip()
            values[last] = _clean(value)
        raise BadHeader(f"AGI environment longer than {MAX_HEADER_LINES} lines")

    try:
        return await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise BadHeader(f"no complete AGI environment within {timeout:.0f} s") from None


def parse_reply(line: str) -> Reply:
    code_text, _, rest = line.partition(" ")
    if len(code_text) != 3 or not code_text.isdigit():
        raise AgiCommandError(f"unexpected AGI answer {line[:80]!r}")
    code = int(code_text)
    if code != 200:
        return Reply(code, text=rest)
    m = _RESULT.match(rest)
    if not m:
        raise AgiCommandError(f"unparsable AGI result {line[:80]!r}")
    raw = m.group(1)
    number = int(raw) if re.fullmatch(r"-?\d+", raw) else 0
    return Reply(200, number, m.group(2), int(m.group(3)) if m.group(3) else None, rest, raw)


class AgiChannel:
    """The socket of one FastAGI session: `send()` is the only way a command reaches Asterisk."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, env: Environment):
        self.reader, self.writer, self.env = reader, writer, env
        self.hung_up = False
        self.commands = 0

    async def send(self, line: str, last: bool = False) -> Reply:
        """Send one command and read its answer. `last=True` returns a 200 answer even when
        the HANGUP notice came with it (to read e.g. DIALSTATUS once the caller left); the
        next command then raises `CallHangup`."""
        if self.hung_up:
            raise CallHangup(self.env.uniqueid)
        if "\n" in line or "\r" in line:
            raise ValueError("an AGI command is one line")
        self.writer.write(line.encode("utf-8") + b"\n")
        await self.writer.drain()
        self.commands += 1
        started = time.monotonic()
        try:
            answer = await _line(self.reader)
            while answer == "HANGUP":  # the hangup notice comes before the answer in flight
                self.hung_up = True
                answer = await _line(self.reader)
            if answer.startswith("520-"):
                usage = [answer]
                while not answer.startswith("520 "):
                    answer = await _line(self.reader)
                    usage.append(answer)
                raise AgiCommandError(f"{line!r}: bad usage: " + " | ".join(usage))
        except ConnectionResetError:
            self.hung_up = True
            raise CallHangup(self.env.uniqueid) from None
        except BadHeader as e:  # an answer line over the limit
            raise AgiCommandError(f"{line!r}: {e}") from None
        ROUND_TRIPS.add(line, time.monotonic() - started)
        reply = parse_reply(answer)
        if reply.code == 511:
            self.hung_up = True
        if self.hung_up and not (last and reply.code == 200):
            raise CallHangup(self.env.uniqueid)
        if reply.code == 510:
            raise AgiCommandError(f"{line!r}: unknown command")
        if reply.code != 200:
            raise AgiCommandError(f"{line!r}: answer {reply.code} {reply.text}")
        return reply

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass  # the peer may already be gone; closing is all we wanted
