"""FastAGI server: asyncio, one task per call, routed by the script path.

`agi://host:port/ivr?province=demo` runs the route `ivr` with arguments
`{"province": "demo"}`. The session boundary here is the one place a `CallHangup` is
caught; the socket is always closed when the flow ends (Asterisk never closes it).

Test hook, off unless `TONGDAI_TEST_AGI_STALL_S` is set in the engine's environment: then SIGUSR1
makes the server stop taking new sessions for that many seconds (tests/test_agi_stall.py).
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from collections.abc import Awaitable, Callable

from agi_scripts.protocol import AgiChannel, AgiCommandError, BadHeader, CallHangup, read_environment
from ivr.call import Call

log = logging.getLogger("tongdai.agi")
Route = Callable[[Call], Awaitable[None]]
# Does this session belong to a live channel of our Asterisk? (channel name and uniqueid given)
Verify = Callable[[str, str], Awaitable[bool]]
STALL_ENV = "TONGDAI_TEST_AGI_STALL_S"


class FastAgiServer:
    def __init__(self, routes: dict[str, Route], sounds: Path, host: str = "127.0.0.1", port: int = 4573,
                 verify: Verify | None = None):
        self.routes, self.sounds, self.host, self.port, self.verify = routes, sounds, host, port, verify
        self.active = 0
        self.served = 0
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._open = asyncio.Event()  # cleared only by the test hook's stall
        self._open.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, self.host, self.port, backlog=1024,
                                                  limit=64 * 1024)
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI listening on %s:%d (routes: %s)", self.host, self.port, ", ".join(sorted(self.routes)))
        stall = os.environ.get(STALL_ENV)
        if stall:
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, self.stall, float(stall))
            log.warning("test hook on (%s): SIGUSR1 stalls FastAGI for %s s", STALL_ENV, stall)

    def stall(self, seconds: float) -> None:
        """Test hook: take no new session for `seconds`. Asterisk's connections still complete (the
        kernel accepts them, as it does for an engine too busy to), and wait unread until then."""
        self._open.clear()
        log.warning("FastAGI stalled for %.1f s (test hook)", seconds)
        asyncio.get_running_loop().call_later(seconds, self._reopen)

    def _reopen(self) -> None:
        self._open.set()
        log.warning("FastAGI stall over (test hook)")

    async def close(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open.is_set():
            await self._open.wait()
        try:
            env = await read_environment(reader)
        except BadHeader as e:  # a TCP health check, a port scan, a stuck client
            log.info("closing a FastAGI connection without a session: %s", e)
            writer.close()
            return
        if self.verify and not await self.verify(env["channel"], env.uniqueid):
            # anyone local can open this port: a session must be a channel Asterisk really has
            self.refused += 1
            log.warning("FastAGI session refused: no live channel %r with uniqueid %r (peer %s)",
                        env["channel"], env.uniqueid, writer.get_extra_info("peername"))
            writer.close()
            return
        self.active += 1
        channel = AgiChannel(reader, writer, env)
        call = Call(channel, self.sounds)
        route = self.routes.get(env.script)
        try:
            if route is None:
                call.log.error("no route %r; the dialplan fallback takes the call", env.script)
            else:
                await route(call)
        except CallHangup:
            call.log.info("caller hung up after %d commands", channel.commands)
        except AgiCommandError:
            call.log.exception("AGI command refused; the dialplan fallback takes the call")
        except Exception:  # a bug in a flow must not take the server down; the fallback serves the caller
            call.log.exception("flow %r failed; the dialplan fallback takes the call", env.script)
        finally:
            self.active -= 1
            self.served += 1
            await channel.close()
