"""A test AMI client: a thread reads every event so tests can wait for them."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from acd.frames import Frame, FrameBuffer, encode


class AmiTap:
    def __init__(self, port: int, secret: str, username: str = "tongdai", host: str = "127.0.0.1",
                 timeout: float = 15):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.frames: list[Frame] = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.send("Login", ActionID="login", Username=username, Secret=secret, Events="on")
        login = self.wait(lambda f: f.get("ActionID") == "login", 10)
        assert login.get("Response") == "Success", login

    def _read(self) -> None:
        buffer = FrameBuffer()
        self.sock.settimeout(None)
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.frames.extend(buffer.feed(data))
                self.cond.notify_all()

    def send(self, action: str, **fields: str) -> None:
        self.sock.sendall(encode(action, **fields))

    def events(self, name: str | None = None, **match: str) -> list[Frame]:
        with self.cond:
            return [f for f in self.frames if (name is None or f.get("Event") == name)
                    and all(f.get(k) == v for k, v in match.items())]

    def mark(self) -> int:
        """Where the tap is now: `wait(..., after=mark)` ignores what came before."""
        with self.cond:
            return len(self.frames)

    def wait(self, predicate: Callable[[Frame], bool], timeout: float = 20, after: int = 0) -> Frame:
        deadline = time.monotonic() + timeout
        seen = after
        with self.cond:
            while True:
                for frame in self.frames[seen:]:
                    if predicate(frame):
                        return frame
                seen = len(self.frames)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise TimeoutError(f"no matching AMI frame in {timeout} s ({len(self.frames)} frames seen)")
                self.cond.wait(left)

    def wait_event(self, name: str, timeout: float = 20, after: int = 0, **match: str) -> Frame:
        return self.wait(lambda f: f.get("Event") == name and all(f.get(k) == v for k, v in match.items()),
                         timeout, after)

    def close(self) -> None:
        try:
            self.send("Logoff")
        except OSError:
            pass  # already gone: nothing left to log off
        self.sock.close()
