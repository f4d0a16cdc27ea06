"""AGI commands as small typed objects: each renders its wire line and parses its answer.

Every value that reaches the wire is treated as hostile: CR, LF and NUL are stripped,
backslashes and double quotes escaped, and the value is always quoted. There is no
`AGIEXECFULL`/`EXEC` with unfiltered input: `Exec` arguments go through the same quoting,
and application names are checked against a fixed pattern.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from agi_scripts.protocol import Reply

_APP = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\([A-Za-z0-9_,]*\))?$")
DIGITS = "0123456789*#"


class AppMissing(RuntimeError):
    """EXEC answered result=-2: the application is not loaded in Asterisk."""


def clean(value: object) -> str:
    return "".join(ch for ch in str(value) if ch not in "\r\n\x00")


def quote(value: object) -> str:
    text = clean(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _variable(name: str) -> str:
    if not _VAR.match(name):
        raise ValueError(f"not a channel variable name: {name!r}")
    return name


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch in DIGITS)


T = TypeVar("T")


@dataclass(frozen=True)
class Command(Generic[T]):
    def line(self) -> str:
        raise NotImplementedError

    def parse(self, reply: Reply) -> T:
        """What the flow gets back (a digit, a value, a status): each command says; by default
        the numeric result."""
        return cast(T, reply.result)

    def hung_up(self, reply: Reply) -> bool:
        """True when this answer itself says the channel is gone (Asterisk's HANGUP line
        then only comes with the next command)."""
        return False


@dataclass(frozen=True)
class Answer(Command[int]):
    def line(self) -> str:
        return "ANSWER"


@dataclass(frozen=True)
class Hangup(Command[int]):
    def line(self) -> str:
        return "HANGUP"


@dataclass(frozen=True)
class StreamFile(Command[str]):
    """Play a file; a digit in `escape` stops it (barge-in). Parses to the digit or ''."""

    file: str
    escape: str = ""

    def line(self) -> str:
        return f"STREAM FILE {quote(self.file)} {quote(_digits(self.escape))}"

    def parse(self, reply: Reply) -> str:
        return chr(reply.result) if reply.result > 0 else ""  # -1 endpos=0: the file is missing

    def hung_up(self, reply: Reply) -> bool:
        return reply.result < 0 and bool(reply.endpos)  # stopped part-way: the caller hung up


@dataclass(frozen=True)
class GetData(Command[str]):
    """Play a prompt and collect up to `max_digits` digits; parses to the digits ('' on timeout)."""

    file: str
    timeout_ms: int
    max_digits: int

    def line(self) -> str:
        return f"GET DATA {quote(self.file)} {int(self.timeout_ms)} {int(self.max_digits)}"

    def parse(self, reply: Reply) -> str:
        return "" if reply.raw.startswith("-") else _digits(reply.raw)

    def hung_up(self, reply: Reply) -> bool:
        return reply.result < 0


@dataclass(frozen=True)
class WaitForDigit(Command[str]):
    timeout_ms: int

    def line(self) -> str:
        return f"WAIT FOR DIGIT {int(self.timeout_ms)}"

    def parse(self, reply: Reply) -> str:
        return chr(reply.result) if reply.result > 0 else ""

    def hung_up(self, reply: Reply) -> bool:
        return reply.result < 0


@dataclass(frozen=True)
class SayDigits(Command[int]):
    digits: str
    escape: str = ""

    def line(self) -> str:
        return f"SAY DIGITS {quote(_digits(self.digits))} {quote(_digits(self.escape))}"


@dataclass(frozen=True)
class SetVariable(Command[int]):
    name: str
    value: str

    def line(self) -> str:
        return f"SET VARIABLE {_variable(self.name)} {quote(self.value)}"


@dataclass(frozen=True)
class GetVariable(Command[str | None]):
    """Parses to the value, or None when the variable is unset."""

    name: str

    def line(self) -> str:
        return f"GET VARIABLE {_variable(self.name)}"

    def parse(self, reply: Reply) -> str | None:
        return reply.data if reply.result == 1 else None


@dataclass(frozen=True)
class GetVariables(Command[list[str | None]]):
    """Several variables in one round trip (GET FULL VARIABLE of "${A}|${B}"); parses to their
    values in order ('' for an unset one, None for all when Asterisk could not evaluate it)."""

    names: tuple[str, ...]

    def line(self) -> str:
        return f"GET FULL VARIABLE {quote('|'.join('${' + _variable(n) + '}' for n in self.names))}"

    def parse(self, reply: Reply) -> list[str | None]:
        if reply.result != 1:
            return [None] * len(self.names)
        values = (reply.data or "").split("|")
        return [*values[:len(self.names)], *[""] * (len(self.names) - len(values))]


@dataclass(frozen=True)
class Exec(Command[int]):
    """Run a dialplan application. Arguments are quoted; `result=-2` raises AppMissing."""

    app: str
    args: str = ""

    def line(self) -> str:
        if not _APP.match(self.app):
            raise ValueError(f"not an application name: {self.app!r}")
        return f"EXEC {self.app} {quote(self.args)}"

    def parse(self, reply: Reply) -> int:
        if reply.result == -2:
            raise AppMissing(f"application {self.app} is not loaded in Asterisk")
        return reply.result


@dataclass(frozen=True)
class Playback(Command[int]):
    """Files one after the other in one round trip (the Playback application with "a&b&c"), with
    no barge-in. A missing file is skipped, as Playback does; its -1 means the caller hung up."""

    files: tuple[str, ...]

    def line(self) -> str:
        return Exec("Playback", "&".join(self.files)).line()

    def hung_up(self, reply: Reply) -> bool:
        return reply.result < 0


@dataclass(frozen=True)
class RecordFile(Command[int]):
    """Record to `file` (no extension) until `#`, `max_ms` or `silence_s` of silence."""

    file: str
    fmt: str = "wav"
    max_ms: int = 120000
    silence_s: int = 3
    beep: bool = True

    def line(self) -> str:
        beep = " BEEP" if self.beep else ""
        return (f"RECORD FILE {quote(self.file)} {quote(self.fmt)} \"#\" {int(self.max_ms)} 0{beep} "
                f"s={int(self.silence_s)}")


@dataclass(frozen=True)
class Verbose(Command[int]):
    message: str
    level: int = 1

    def line(self) -> str:
        return f"VERBOSE {quote(self.message)} {int(self.level)}"
