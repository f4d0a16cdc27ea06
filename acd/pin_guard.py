"""PIN guessing at a phone: slowed down, then locked out, per calling phone (seat).

A wrong PIN costs the caller a pause before the answer; after `limit` wrong PINs from one
seat within `window_s`, that seat may not log in for `lockout_s`, whatever it keys in. Every
refusal and every lockout is written to the audit table by the caller of `failed`.
"""
from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field


@dataclass
class PinGuard:
    limit: int = 5
    window_s: float = 900
    lockout_s: float = 900
    delay_s: float = 2.0  # a wrong PIN's answer waits this long: guessing is slow even before the lockout
    failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    locked_until: dict[str, float] = field(default_factory=dict)

    def locked(self, seat: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        until = self.locked_until.get(seat)
        if until is not None and until <= now:
            del self.locked_until[seat]
            return False
        return until is not None

    def failed(self, seat: str, now: float | None = None) -> bool:
        """Count a wrong PIN; True when this one locks the seat out."""
        now = time.monotonic() if now is None else now
        q = self.failures[seat]
        q.append(now)
        while q and q[0] < now - self.window_s:
            q.popleft()
        if len(q) >= self.limit and not self.locked(seat, now):
            self.locked_until[seat] = now + self.lockout_s
            q.clear()
            return True
        return False

    def succeeded(self, seat: str) -> None:
        self.failures.pop(seat, None)
