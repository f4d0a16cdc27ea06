"""Our asyncio AMI client (see docs/dependencies.md for why not panoramisk's Manager).

* `connect()` awaits the login: a wrong secret raises `AmiAuthError` at once, no silent retry.
* Every action has an ActionID and a timeout; event-list actions (QueueStatus...) return
  their events up to the `...Complete` frame.
* After a disconnect the client reconnects with back-off. Actions in flight fail with
  `AmiDisconnected` and are never re-sent, so an Originate cannot ring twice.
* A keep-alive Ping is checked: no answer in time drops the connection (half-open sockets).
* Events go to a queue and are dispatched by their own task: a slow or failing handler never
  stalls the socket reader (Asterisk drops a client that blocks its writes).
* Frames are decoded only when whole (see `acd.frames`); events in `IGNORED_EVENTS` are not
  decoded at all.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

from acd.frames import Frame, FrameBuffer, encode

log = logging.getLogger("tongdai.ami")
Handler = Callable[[Frame], Awaitable[None] | None]
# Events that come with every call and that no handler or listener of the engine reads (manager.conf
# filters the loudest; these are the rest). They are dropped before they are decoded or queued. A
# handler that comes to need one takes it out of this list.
IGNORED_EVENTS = frozenset({
    "Newchannel", "DialState", "Newstate", "Newexten", "VarSet", "NewCallerid", "NewConnectedLine",
    "NewAccountCode", "Rename", "SuccessfulAuth", "ChallengeSent", "RTCPSent", "RTCPReceived", "DTMFBegin",
    "DTMFEnd", "BridgeCreate", "BridgeDestroy", "BridgeEnter", "BridgeLeave", "MusicOnHoldStart",
    "MusicOnHoldStop", "SoftHangupRequest", "HangupRequest", "DeviceStateChange", "ExtensionStatus",
    "LocalBridge", "MixMonitorStart", "MixMonitorStop", "ChannelTalkingStart", "ChannelTalkingStop",
    "AGIExecStart", "AGIExecEnd", "Cdr", "CEL"})


class AmiError(RuntimeError):
    pass


class AmiAuthError(AmiError):
    pass


class AmiDisconnected(AmiError):
    pass


class AmiClient:
    def __init__(self, host: str, port: int, username: str, secret: str, *, ping_interval: float = 5,
                 action_timeout: float = 10, reconnect: bool = True, ignore: frozenset[str] = IGNORED_EVENTS):
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.ignore = ignore
        self.ping_interval, self.action_timeout, self.reconnect = ping_interval, action_timeout, reconnect
        self.handlers: list[Handler] = []
        self.on_connect: list[Callable[[AmiClient], Awaitable[None]]] = []
        self.connected = asyncio.Event()
        self.connections = 0
        self._ids = itertools.count(1)
        self._pending: dict[str, tuple[asyncio.Future[Frame], list[Frame] | None]] = {}
        self._events: asyncio.Queue[Frame] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    # ---- lifecycle ---------------------------------------------------------------
    async def connect(self) -> None:
        """Connect and log in; raises on a refused connection or a bad secret."""
        await self._open()
        self._tasks.append(asyncio.create_task(self._dispatch(), name="ami-dispatch"))

    async def _open(self) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.action_timeout)
        self._writer = writer
        reader_task = asyncio.create_task(self._read(reader), name="ami-reader")
        login = asyncio.create_task(self.action("Login", Username=self.username, Secret=self.secret, Events="on"))
        await asyncio.wait({login, reader_task}, return_when=asyncio.FIRST_COMPLETED)
        if not login.done() or login.exception():  # closed or refused before the login was answered
            login.cancel()
            reader_task.cancel()
            writer.close()
            self._fail_pending("connection closed during login")
            failure = login.exception() if login.done() else None
            raise failure or AmiDisconnected("AMI connection closed during login")
        reply = login.result()
        if reply.get("Response") != "Success":
            reader_task.cancel()
            writer.close()
            raise AmiAuthError(f"AMI login as {self.username!r} on {self.host}:{self.port} refused: "
                               f"{reply.get('Message', '?')} (check the secret in the site's secrets file)")
        self.connections += 1
        self.connected.set()
        self._tasks.append(asyncio.create_task(self._watch(reader_task), name="ami-watch"))
        log.info("AMI connected to %s:%d (connection %d)", self.host, self.port, self.connections)
        for callback in self.on_connect:
            asyncio.create_task(self._run_callback(callback))

    async def _run_callback(self, callback: Callable[[AmiClient], Awaitable[None]]) -> None:
        try:
            await callback(self)
        except AmiError as e:
            log.warning("AMI on-connect step failed: %s", e)

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        if self._writer:
            self._writer.close()
        self._fail_pending("client closed")
        self.connected.clear()

    # ---- actions -----------------------------------------------------------------
    async def action(self, name: str, *, timeout: float | None = None, **fields: str) -> Frame:
        """Send an action, return its response frame."""
        future, _ = await self._send(name, False, fields)
        return await self._wait(name, future, timeout)

    async def action_list(self, name: str, *, timeout: float | None = None, **fields: str) -> list[Frame]:
        """Send an event-list action (QueueStatus, CoreShowChannels...), return its events."""
        future, events = await self._send(name, True, fields)
        response = await self._wait(name, future, timeout)
        if response.get("Response") == "Error":
            raise AmiError(f"{name}: {response.get('Message')}")
        return events or []

    async def _send(self, name: str, is_list: bool,
                    fields: dict[str, str]) -> tuple[asyncio.Future[Frame], list[Frame] | None]:
        if self._writer is None or self._writer.is_closing():
            raise AmiDisconnected(f"{name}: AMI not connected")
        action_id = f"td-{next(self._ids)}"
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        events: list[Frame] | None = [] if is_list else None
        self._pending[action_id] = (future, events)
        self._writer.write(encode(name, ActionID=action_id, **fields))
        return future, events

    async def _wait(self, name: str, future: asyncio.Future[Frame], timeout: float | None) -> Frame:
        try:
            return await asyncio.wait_for(future, timeout or self.action_timeout)
        except TimeoutError:
            raise AmiError(f"{name}: no answer from Asterisk within {timeout or self.action_timeout:.0f} s") from None

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(AmiDisconnected(why))

    # ---- reading -----------------------------------------------------------------
    async def _read(self, reader: asyncio.StreamReader) -> None:
        buffer = FrameBuffer(self.ignore)
        while True:
            data = await reader.read(65536)
            if not data:
                return
            for frame in buffer.feed(data):
                self._route(frame)

    def _route(self, frame: Frame) -> None:
        action_id = frame.get("ActionID", "")
        entry = self._pending.get(action_id)
        if entry is None:
            if "Event" in frame:
                self._events.put_nowait(frame)
            return
        future, events = entry
        if "Response" in frame:
            if events is not None and frame.get("EventList") == "start":
                return  # the list's events and its Complete frame follow
            self._pending.pop(action_id, None)
            if not future.done():
                future.set_result(frame)
            return
        if frame.get("EventList") == "Complete":
            self._pending.pop(action_id, None)
            if not future.done():
                future.set_result(frame)
        elif events is not None:
            events.append(frame)

    async def _watch(self, reader_task: asyncio.Task[None]) -> None:
        """Keep-alive and reconnection: a dead or silent connection is replaced."""
        pinger = asyncio.create_task(self._ping(), name="ami-ping")
        done, _ = await asyncio.wait({reader_task, pinger}, return_when=asyncio.FIRST_COMPLETED)
        for task in (reader_task, pinger):
            task.cancel()
        if self._writer:
            self._writer.close()
        self.connected.clear()
        self._fail_pending("AMI connection lost")
        if self._closing or not self.reconnect:
            return
        log.warning("AMI connection to %s:%d lost; reconnecting", self.host, self.port)
        delay = 0.2
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._open()
                return
            except AmiAuthError as e:
                log.error("%s", e)
                return
            except (TimeoutError, OSError, AmiError) as e:
                log.info("AMI reconnect failed (%s); next try in %.1f s", e, min(delay * 2, 5))
                delay = min(delay * 2, 5)

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            try:
                reply = await self.action("Ping", timeout=self.ping_interval)
            except AmiError as e:
                log.warning("AMI keep-alive failed: %s", e)
                return
            if reply.get("Response") != "Success":
                log.warning("AMI keep-alive answered %s", reply)
                return

    async def _dispatch(self) -> None:
        while True:
            frame = await self._events.get()
            for handler in list(self.handlers):
                try:
                    result = handler(frame)
                    if asyncio.iscoroutine(result):
                        await result
                except Exception:  # one bad handler must not stop event delivery
                    log.exception("AMI event handler failed on %s", frame.get("Event"))
