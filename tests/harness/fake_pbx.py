"""A scriptable Asterisk for flow unit tests, speaking the wire as the captures show it:
STREAM FILE answers `result=<ascii> endpos=N` when a key interrupts it, a hangup is a bare
`HANGUP` line before the answer in flight, and dead-channel commands get `511`."""
from __future__ import annotations

import asyncio
import itertools
import re
import wave

from tests.harness.transcripts import agi_sessions

DEAD = "511 Command Not Permitted on a dead channel or intercept routine\n"
_ids = itertools.count(1)


def heard(commands: list[str]) -> list[str]:
    """The prompts a caller heard, in order: each STREAM FILE's file and each file of a Playback
    of "a&b&c" (the engine reads a number back in one command)."""
    files: list[str] = []
    for command in commands:
        if command.startswith("STREAM FILE"):
            files.append(command.split('"')[1])
        elif command.startswith("EXEC Playback"):
            files.extend(command.split('"')[1].split("&"))
    return files


class ScriptedAsterisk:
    def __init__(self, keys: list[str | None], hangup_at: int | None = None, caller: str = "0901",
                 variables: dict[str, str] | None = None, script: str = "ivr?province=demo",
                 channel: str = "PJSIP/caller-00000000"):
        self.keys = list(keys)
        self.hangup_at = hangup_at
        self.variables = {"QUEUESTATUS": "TIMEOUT", "DIALSTATUS": "ANSWER", **(variables or {})}
        self.uniqueid = f"1795000000.{next(_ids)}"
        base = agi_sessions("agi_session_basic.txt")[0].environment
        self.environment = [line.replace("1795391208.0", self.uniqueid)
                            .replace("agi_callerid: 0901", f"agi_callerid: {caller}")
                            .replace("ivr?province=demo", script).replace("PJSIP/caller-00000000", channel)
                            for line in base]
        self.commands: list[str] = []
        self.dead = False

    def _answer(self, command: str) -> str:
        verb = command.split(" ")[0]
        if verb == "STREAM":
            escape = command.rsplit(" ", 1)[1].strip('"')
            key = self.keys.pop(0) if escape and self.keys else None
            return f"200 result={ord(key)} endpos=4000\n" if key else "200 result=0 endpos=16000\n"
        if command.startswith("RECORD FILE"):  # write what Asterisk would: a closed wav of 2 s
            path = command.split('"')[1] + ".wav"
            with wave.open(path, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(b"\x00\x10" * 16000)
            return "200 result=0 (timeout) endpos=16000\n"
        if command.startswith("GET DATA"):
            key = self.keys.pop(0) if self.keys else None
            return f"200 result={key or ''} (timeout)\n"
        if command.startswith("WAIT FOR DIGIT"):
            key = self.keys.pop(0) if self.keys else None
            return f"200 result={ord(key) if key else 0}\n"
        if command.startswith("GET FULL VARIABLE"):  # "${A}|${B}": each name's value, '' when unset
            expression = command.split('"')[1]
            return f"200 result=1 ({re.sub(r'[$][{]([^}]+)[}]', lambda m: self.variables.get(m[1], ''), expression)})\n"
        if command.startswith("GET VARIABLE"):
            name = command.split(" ", 2)[2]
            value = self.variables.get(name)
            return f"200 result=1 ({value})\n" if value is not None else "200 result=0\n"
        if command.startswith("SET VARIABLE"):
            return "200 result=1\n"
        return "200 result=0\n"

    async def run(self, port: int, timeout: float = 5) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write("".join(self.environment).encode())
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout)
                if not line:
                    return
                command = line.decode().rstrip("\n")
                self.commands.append(command)
                if self.dead:
                    reply = DEAD
                elif self.hangup_at is not None and len(self.commands) - 1 >= self.hangup_at:
                    self.dead = True
                    reply = "HANGUP\n" + (self._answer(command) if command.startswith("GET ") else DEAD)
                else:
                    reply = self._answer(command)
                writer.write(reply.encode())
                await writer.drain()
        finally:
            writer.close()
