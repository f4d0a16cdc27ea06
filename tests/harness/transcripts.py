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


class FakeAmi:
    """An AMI server that plays the captured frames: the banner on connect, then, once the
    client logs in, every frame of the capture in order (login response first)."""

    def __init__(self, file: str):
        self.frames = ami_frames(file)
        self.port = 0
        self.received: list[bytes] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(self.frames[0])
        login = await reader.readuntil(b"\r\n\r\n")
        self.received.append(login)
        action_id = next((line.split(b":", 1)[1].strip() for line in login.split(b"\r\n")
                          if line.lower().startswith(b"actionid:")), b"login-1")
        writer.write(self.frames[1].replace(b"ActionID: login-1", b"ActionID: " + action_id))
        writer.writelines(self.frames[2:])
        await writer.drain()
        self.received.append(await reader.read())  # until the client goes away
        writer.close()

    async def close(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()
