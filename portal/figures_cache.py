"""The public figures, kept for `[public] cache_seconds` per key (a period): a page view reads
them, and only the first view after they expire computes them again. Views that arrive while
they are being computed wait for that one computation (a burst of visitors runs the aggregation
once, not once each). The clock is injectable, so the rule is tested without waiting.

The values live in the portal's `cache` dict (key -> (computed at, value)); a computation under
way is there too, as (started at, future) under the key with PENDING before it."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
PENDING = "computing:"
MAX_KEYS = 64  # periods kept at most: a visitor typing dates cannot fill the memory


class FiguresCache:
    def __init__(self, store: dict[str, tuple[float, Any]], seconds: float,
                 clock: Callable[[], float] = time.monotonic):
        self.store, self.seconds, self.clock = store, seconds, clock

    def fresh(self, key: str) -> tuple[bool, Any]:
        """(True, value) while the value of `key` is younger than the cache's seconds."""
        found = self.store.get(key)
        if found is not None and self.clock() - found[0] < self.seconds:
            return True, found[1]
        return False, None

    def put(self, key: str, value: Any) -> None:
        self.store[key] = (self.clock(), value)
        self._trim()

    def _trim(self) -> None:
        kept = [k for k in self.store if not k.startswith(PENDING)]
        if len(kept) <= MAX_KEYS:
            return
        now = self.clock()
        for k in kept:  # the expired first
            if now - self.store[k][0] >= self.seconds:
                del self.store[k]
        kept = sorted((k for k in self.store if not k.startswith(PENDING)), key=lambda k: self.store[k][0])
        for k in kept[:max(0, len(kept) - MAX_KEYS)]:  # then the oldest
            del self.store[k]

    async def get(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        """The fresh value of `key`, else the one computation's (started here or already under way).
        A computation that fails is not kept: the next view tries again."""
        ok, value = self.fresh(key)
        if ok:
            return value  # type: ignore[no-any-return]
        pending = self.store.get(PENDING + key)
        if pending is not None:
            return await asyncio.shield(pending[1])
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.store[PENDING + key] = (self.clock(), future)
        try:
            result = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as e:
            future.set_exception(e)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self.store.pop(PENDING + key, None)
        future.set_result(result)
        self.put(key, result)
        return result
