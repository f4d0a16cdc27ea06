"""Live updates over one websocket per browser tab.

The engine's ACD calls `Hub.on_ami` for each AMI event it has applied. An `AgentConnect`
pops the caller's ticket on that agent's desktops (after the ticket book has flushed, so the
row is there); queue and agent events mark the wallboard dirty, and a sender pushes a fresh
picture at most twice a second (and every 5 s, for the service level and the clocks).
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict

from aiohttp import WSMsgType, web

from acd.frames import Frame
from db.types import DatabaseUnavailable
from db.queries import tickets as stored_tickets
from web import board
from web.accounts import ROLES, UserView
from web.context import Console, USER, console
from web.guard import allow, fail

log = logging.getLogger("tongdai.web")
WALLBOARD_ROLES = ("supervisor", "leader", "admin")
BOARD_EVENTS = {"QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled", "AgentConnect",
                "AgentComplete", "AgentRingNoAnswer", "QueueMemberAdded", "QueueMemberRemoved",
                "QueueMemberPause", "QueueMemberStatus"}
POP_VIEW = "admin"  # the pop reads the ticket unrestricted: the engine sends it to the answering agent only


def ivr_path(events: list[dict]) -> list[str]:
    return [f"{e['detail'].get('menu')} {e['detail'].get('digit')}" for e in events
            if e["kind"] == "menu" and e["detail"]]


def ivr_path_texts(events: list[dict], c: Console) -> dict[str, str]:
    """The IVR path as a sentence in each language (the pop goes to every tab of the agent)."""
    from web import story
    from web.language import LANGUAGES
    return {lang: story.ivr_path(events, c.site, lang) for lang in LANGUAGES}


class Hub:
    def __init__(self, c: Console):
        self.console = c
        self.sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)  # role:extension -> sockets
        self.dirty = asyncio.Event()
        self.dirty_agents: set[str] = set()
        self.current: dict[str, str] = {}  # agent -> ticket code of the call they are on
        self.last_call: dict[str, str] = {}  # agent -> ticket code of their latest call (for its outcome)
        self.pushed: dict[str, tuple[str, str | None]] = {}  # agent -> the state their desks last got
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._sender(), name="wallboard")

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
        for group in list(self.sockets.values()):
            for ws in list(group):
                await ws.close()

    def on_ami(self, name: str, e: Frame) -> None:
        if name == "AgentConnect":
            task = asyncio.create_task(self._pop(e.get("MemberName", ""), e.get("Uniqueid", ""), e))
            self.console.jobs.add(task)
            task.add_done_callback(self.console.jobs.discard)
        elif name == "AgentComplete":
            agent = e.get("MemberName", "")
            code = self.current.pop(agent, None)
            task = asyncio.create_task(self._ended(agent, code))
            self.console.jobs.add(task)
            task.add_done_callback(self.console.jobs.discard)
        if name in BOARD_EVENTS:
            self.dirty.set()
            member = e.get("MemberName") or ""
            if member:
                self.dirty_agents.add(member)

    async def _send(self, key: str, message: dict) -> None:
        text = json.dumps(message, ensure_ascii=False, default=str)
        for ws in list(self.sockets.get(key, ())):
            if not ws.closed:
                try:
                    await ws.send_str(text)
                except ConnectionResetError:  # the tab went away mid-send
                    self.sockets[key].discard(ws)

    async def _pop(self, agent: str, uniqueid: str, e: Frame) -> None:
        handle = self.console.book.handle(uniqueid)
        if handle is None or not agent:
            return
        self.current[agent] = self.last_call[agent] = handle.code
        if not any(not ws.closed for ws in self.sockets.get(f"agent:{agent}", ())):
            return  # no desk open: a desk opened later asks for the current ticket (GET /api/agent)
        await self.console.book.flush(2)
        try:
            record = await asyncio.to_thread(stored_tickets.load, self.console.db, handle.code, POP_VIEW, None)
            record["can_edit"] = True  # the pop goes to the answering agent, who edits the ticket
        except (DatabaseUnavailable, stored_tickets.TicketNotFound) as err:  # the pop carries what the engine knows
            log.error("screen-pop of %s without the database: %s", handle.code, str(err).splitlines()[0])
            record = {"code": handle.code, "caller_number": e.get("CallerIDNum"), "events": [], "earlier": [],
                      "field": None, "priority": 3, "summary": None}
        record["ivr_path"] = ivr_path(record["events"])
        record["ivr_path_text"] = ivr_path_texts(record["events"], self.console)
        record["wait_s"] = int(e.get("HoldTime", "0") or 0)
        record["queue"] = e.get("Queue")
        await self._send(f"agent:{agent}", {"type": "pop", "ticket": record})
        log.info("screen-pop of ticket %s to agent %s", handle.code, agent)

    async def _ended(self, agent: str, code: str | None) -> None:
        """The call is over: the agent's tabs close the banner and refresh (the ACD pauses an agent
        whose call still needs its outcome)."""
        await self._send(f"agent:{agent}", {"type": "call_ended", "ticket": code})

    def transferred(self, agent: str, code: str) -> None:
        """A caller was transferred to `agent`: their desk pops the same ticket."""
        task = asyncio.create_task(self._pop_code(agent, code))
        self.console.jobs.add(task)
        task.add_done_callback(self.console.jobs.discard)

    async def _pop_code(self, agent: str, code: str) -> None:
        try:
            record = await asyncio.to_thread(stored_tickets.load, self.console.db, code, POP_VIEW, None)
        except (DatabaseUnavailable, stored_tickets.TicketNotFound):
            return
        record.update(can_edit=True, ivr_path=ivr_path(record["events"]), wait_s=None,
                      ivr_path_text=ivr_path_texts(record["events"], self.console), transferred=True)
        self.current[agent] = self.last_call[agent] = code
        await self._send(f"agent:{agent}", {"type": "pop", "ticket": record})

    async def _sender(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.dirty.wait(), 5)
            except TimeoutError:
                pass
            self.dirty.clear()
            agents, self.dirty_agents = self.dirty_agents, set()
            if any(self.sockets.get(f"board:{r}") for r in WALLBOARD_ROLES):
                try:
                    picture = await board.snapshot(self.console)
                except DatabaseUnavailable as err:
                    log.warning("wallboard without today's figures: %s", str(err).splitlines()[0])
                    continue
                for role in WALLBOARD_ROLES:
                    await self._send(f"board:{role}", {"type": "wallboard", **picture})
            # agents with news, and any whose state moved without an event (the end of wrap-up is a timer)
            for key in [k for k, socks in self.sockets.items() if k.startswith("agent:") and socks]:
                agent = key.removeprefix("agent:")
                state = board.agent_state(self.console, agent)
                if agent in agents or self.pushed.get(agent) != (state["state"], state["reason"]):
                    self.pushed[agent] = (state["state"], state["reason"])
                    await self._send(key, {"type": "state", **state})
            await asyncio.sleep(0.5)

    def keys(self, user: UserView) -> list[str]:
        keys = []
        if user.role in ("agent", "callback") and user.extension:
            keys.append(f"agent:{user.extension}")
        if user.role in WALLBOARD_ROLES:
            keys.append(f"board:{user.role}")
        return keys


@allow(*ROLES)
async def socket(request: web.Request) -> web.WebSocketResponse:
    origin = request.headers.get("Origin")
    if origin and origin.split("://", 1)[-1] != request.host:
        raise fail(403, "websocket from another site")
    hub, user = console(request).hub, request[USER]
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)
    keys = hub.keys(user)
    for key in keys:
        hub.sockets[key].add(ws)
    try:
        if user.role in WALLBOARD_ROLES:
            await ws.send_str(json.dumps({"type": "wallboard", **await board.snapshot(hub.console)}, default=str))
        if user.extension and user.role in ("agent", "callback"):
            await ws.send_str(json.dumps({"type": "state", **board.agent_state(hub.console, user.extension)}))
        async for msg in ws:  # the page only listens; anything it sends is ignored
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        for key in keys:
            hub.sockets[key].discard(ws)
    return ws


def routes() -> list[web.RouteDef]:
    return [web.get("/ws", socket)]
