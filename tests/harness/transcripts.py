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


def _capture(file: str) -> tuple[bytes, list[str], dict[str, list[str]]]:
    """banner, unsolicited event frames, and per action name the frames answering it."""
    banner, events, answers, sent = b"", [], {}, {}
    for line in (FIXTURES / file).read_text().splitlines():
        parts = line.split(" ", 2)
        if len(parts) < 3:
            continue
        if parts[1] == "BANNER":
            banner = ast.literal_eval(parts[2])
        elif parts[1] == "SENT":
            text = ast.literal_eval(parts[2])
            fields = dict(line.split(": ", 1) for line in text.strip().split("\r\n") if ": " in line)
            sent[fields.get("ActionID")] = fields.get("Action")
        elif parts[1] == "FRAME":
            text = ast.literal_eval(parts[2])
            fields = dict(line.split(": ", 1) for line in text.split("\r\n") if ": " in line)
            owner = sent.get(fields.get("ActionID"))
            if owner:
                answers.setdefault(owner, []).append(text)
            elif "Event" in fields:
                events.append(text)
    return banner, events, answers


class FakeAmi:
    """An AMI server driven by a capture: the banner on connect; Login answered (a wrong
    secret refused) and followed by the captured events; each later action answered with
    the frames the real Asterisk gave that action, under the client's ActionID."""

    def __init__(self, file: str, secret: str = "secret"):
        self.banner, self.events, self.answers = _capture(file)
        self.secret = secret
        self.port = 0
        self.actions: list[dict] = []
        self.clients: list[asyncio.StreamWriter] = []
        self.silent = False  # stop answering (a half-open connection)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def drop(self) -> None:
        for writer in self.clients:
            writer.close()
        self.clients.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.append(writer)
        writer.write(self.banner)
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                fields = dict(line.split(": ", 1) for line in block.decode().strip().split("\r\n") if ": " in line)
                self.actions.append(fields)
                if self.silent:
                    continue
                writer.write(self._answer(fields))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    def _answer(self, fields: dict) -> bytes:
        action, action_id = fields.get("Action", ""), fields.get("ActionID", "")
        if action == "Login":
            if fields.get("Secret") != self.secret:
                return f"Response: Error\r\nActionID: {action_id}\r\nMessage: Authentication failed\r\n\r\n".encode()
            frames = [f"Response: Success\r\nActionID: {action_id}\r\nMessage: Authentication accepted"]
            frames += self.events
        elif action in self.answers:
            frames = [re.sub(r"ActionID: [^\r]*", f"ActionID: {action_id}", f) for f in self.answers[action]]
        else:
            frames = [f"Response: Error\r\nActionID: {action_id}\r\nMessage: Invalid/unknown command"]
        return "".join(f + "\r\n\r\n" for f in frames).encode()

    async def close(self) -> None:
        self.drop()
        await asyncio.sleep(0.05)  # let the handlers see EOF and end before the server closes
        if self._server:
            self._server.close()
            await self._server.wait_closed()
