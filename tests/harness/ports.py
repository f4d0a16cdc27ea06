"""Waiting for a server the tests (or a benchmark) started to accept connections."""
from __future__ import annotations

import socket
import subprocess
import time


def listening(port: int, proc: subprocess.Popen[bytes], timeout: float, every: float = 0.2) -> bool:
    """Wait until something accepts TCP connections on 127.0.0.1:`port`. False as soon as `proc`
    has exited or `timeout` has passed: the caller says what did not start, and why."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(every)
