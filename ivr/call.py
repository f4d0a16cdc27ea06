"""`Call`: the verbs a call flow uses. Flows never build wire strings.

Each verb is one typed command sent through `AgiChannel.send()`. A hangup at any point
raises `CallHangup`, which the FastAGI server catches at its one boundary.
"""
from __future__ import annotations

import logging
from pathlib import Path

from collections.abc import MutableMapping
from typing import Any, TypeVar

from agi_scripts import commands as c
from agi_scripts.protocol import AgiChannel, CallHangup, Environment

log = logging.getLogger("tongdai.call")
T = TypeVar("T")


class CallLog(logging.LoggerAdapter[logging.Logger]):
    """Every log line about a call carries its uniqueid and ticket code."""

    def __init__(self, logger: logging.Logger, uniqueid: str):
        super().__init__(logger, {})
        self.uniqueid = uniqueid
        self.ticket: str | None = None  # set once the flow has opened it

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        return f"[{self.uniqueid} {self.ticket or '-'}] {msg}", kwargs


class Call:
    def __init__(self, channel: AgiChannel, sounds: Path, language: str = "vi"):
        self.channel = channel
        self.env: Environment = channel.env
        self.sounds = sounds
        self.language = language
        self.log = CallLog(log, self.env.uniqueid)

    @property
    def uniqueid(self) -> str:
        return self.env.uniqueid

    @property
    def caller_number(self) -> str:
        return c.clean(self.env["callerid"])

    @property
    def caller_name(self) -> str:
        return c.clean(self.env["calleridname"])

    async def run(self, command: c.Command[T], last: bool = False) -> T:
        reply = await self.channel.send(command.line(), last)
        if command.hung_up(reply):
            self.channel.hung_up = True
            raise CallHangup(self.uniqueid)
        if isinstance(command, c.StreamFile) and reply.result < 0:
            self.log.warning("prompt missing: %s", command.file)
        return command.parse(reply)

    def prompt(self, name: str, language: str | None = None) -> str:
        return str(self.sounds / (language or self.language) / name)

    async def answer(self) -> None:
        await self.run(c.Answer())

    async def play(self, file: str, escape: str = "") -> str:
        """Play a file; returns the digit that interrupted it ('' if none)."""
        self.log.debug("play %s", file)
        return await self.run(c.StreamFile(file, escape))

    async def play_all(self, files: list[str]) -> None:
        """Play files one after the other in one round trip, with no barge-in: a number read back,
        a queue position."""
        for file in files:
            self.log.debug("play %s", file)
        await self.run(c.Playback(tuple(files)))

    async def menu_key(self, file: str, timeout_ms: int) -> str:
        """Play a menu prompt; a key pressed during it is taken at once (barge-in), else wait
        `timeout_ms` for one. Returns the key ('' for no input). Any of 0-9, * and # counts."""
        return await self.play(file, escape=c.DIGITS) or await self.wait_digit(timeout_ms)

    async def ask(self, file: str, timeout_ms: int = 5000, max_digits: int = 1) -> str:
        return await self.run(c.GetData(file, timeout_ms, max_digits))

    async def wait_digit(self, timeout_ms: int) -> str:
        return await self.run(c.WaitForDigit(timeout_ms))

    async def say_digits(self, digits: str) -> None:
        await self.run(c.SayDigits(digits))

    async def set(self, name: str, value: str) -> None:
        await self.run(c.SetVariable(name, value))

    async def get(self, name: str) -> str | None:
        return await self.run(c.GetVariable(name))

    async def get_all(self, *names: str) -> list[str | None]:
        return await self.run(c.GetVariables(names))

    async def execute(self, app: str, args: str = "") -> int:
        return await self.run(c.Exec(app, args))

    async def dial(self, target: str, timeout_s: int = 60) -> str | None:
        """Dial and return DIALSTATUS, read even when the caller hung up during the call."""
        await self.execute("Dial", f"{target},{int(timeout_s)}")
        return await self.run(c.GetVariable("DIALSTATUS"), last=True)

    async def record(self, file: str, max_ms: int = 120000, silence_s: int = 3) -> None:
        await self.run(c.RecordFile(file, max_ms=max_ms, silence_s=silence_s))

    async def hangup(self) -> None:
        await self.run(c.Hangup())

    async def complete(self) -> None:
        """Tell the dialplan the flow finished on purpose (it routes on this, not on AGISTATUS)."""
        await self.set("TONGDAI_DONE", "1")
