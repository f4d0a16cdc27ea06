"""Fakes of Asterisk built from the real wire captures in tests/fixtures.

A fake that disagrees with these files is wrong, so the fakes *are* the files: the AGI
fake replays each captured session (environment, then answer per command, in order);
the AMI fake serves the captured frames.
"""
from __future__ import annotations

import ast
import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_LINE = re.compile(r"^(>>|<<) ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")(?:\s+\[[^\]]*\])?\s*$")


@dataclass
class AgiSession:
    name: str
    environment: list[str] = field(default_factory=list)
    exchanges: list[tuple[str, list[str]]] = field(default_factory=list)  # (command, answer lines)


def agi_sessions(file: str) -> list[AgiSession]:
    sessions: list[AgiSession] = []
    current = None
    for line in (FIXTURES / file).read_text().splitlines():
        if line.startswith("### session"):
            current = AgiSession(line.split("script=")[-1])
            sessions.append(current)
            continue
        m = _LINE.match(line)
        if not m or current is None:
            continue
        text = ast.literal_eval(m.group(2))
        if m.group(1) == "<<":
            current.exchanges.append((text.rstrip("\n"), []))
        elif current.exchanges:
            current.exchanges[-1][1].append(text)
        else:
            current.environment.append(text)
    return sessions


class FakeAsterisk:
    """Connects to a FastAGI server and plays Asterisk's side of a captured session.

    `commands` collects what the server sent; `closed_by_server` tells if it closed the
    socket (Asterisk never does)."""

    def __init__(self, session: AgiSession, environment: list[str] | None = None):
        self.session = session
        self.environment = environment or session.environment
        self.commands: list[str] = []
        self.closed_by_server = False

    async def run(self, port: int, timeout: float = 5) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write("".join(self.environment).encode())
        await writer.drain()
        answers = iter(self.session.exchanges)
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout)
                if not line:
                    self.closed_by_server = True
                    return
                command = line.decode().rstrip("\n")
                self.commands.append(command)
                expected, replies = next(answers, (None, ["510 Invalid or unknown command\n"]))
                if expected is not None and expected.split()[0] != command.split()[0]:
                    replies = ["510 Invalid or unknown command\n"]
                writer.write("".join(replies).encode())
                await writer.drain()
        finally:
            writer.close()


def ami_frames(file: str) -> list[bytes]:
    """The frames Asterisk sent (banner first), as wire bytes."""
    out = []
    for line in (FIXTURES / file).read_text().splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] == "BANNER":
            out.append(ast.literal_eval(parts[2]))
        elif len(parts) == 3 and parts[1] == "FRAME":
            out.append(ast.literal_eval(parts[2]).encode() + b"\r\n\r\n")
    return out
