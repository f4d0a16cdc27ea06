"""The ACD inside the engine: AMI events → agent states, ticket queue facts, automatic pauses.

On every (re)connect the picture is rebuilt from Asterisk (`QueueStatus`), then agents the
database has logged in but Asterisk lacks (an Asterisk restart) are put back.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from db.types import Database, DatabaseUnavailable

from acd.agents import AgentBoard, Change
from acd.ami import AmiAuthError, AmiClient, AmiError
from acd.desk import AgentDesk, DeskError, seed_demo_agents
from acd.emergency_calls import EmergencyCalls
from acd.frames import Frame, endpoint
from db.writer import TicketBook
from config import Site
from config.secrets import load_or_create, site_secret_names

log = logging.getLogger("tongdai.acd")
AFTER_CALL = "after-call work"  # the pause that waits for a call's outcome
AUTOPAUSE_AFTER = 2  # rings without answer in a row before an agent is paused ("no answer")


def ami_client(site: Site, reconnect: bool = True) -> AmiClient:
    secret = load_or_create(site.paths.secrets, site_secret_names(site))["ami"]
    return AmiClient("127.0.0.1", site.ports.ami, "tongdai", secret, reconnect=reconnect)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


class Acd:
    def __init__(self, site: Site, db: Database, book: TicketBook):
        self.site, self.db, self.book = site, db, book
        self.ami = ami_client(site)
        self.board = AgentBoard({q.name: q.wrapup for q in site.queues}, AUTOPAUSE_AFTER)
        self.desk = AgentDesk(site, db, self.ami)
        self.emergency = EmergencyCalls(site, book)
        self.ami.handlers.append(self.on_event)
        self.ami.on_connect.append(self.resync)
        self.started: str | None = None  # Asterisk's startup date and time (CoreStatus)
        self.restarts = 0
        self.synced = asyncio.Event()
        self.waiting: dict[str, set[str]] = {}  # queue -> uniqueids of callers waiting
        self.holdtime: dict[str, float] = {}  # queue -> smoothed wait before an agent answered
        self.joined: dict[str, float] = {}  # uniqueid -> when the caller joined its queue (epoch)
        # f(event name, frame), called after the engine has applied an event
        self.listeners: list[Callable[[str, Frame], None]] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await asyncio.to_thread(seed_demo_agents, self.site, self.db)
        self.tasks += [asyncio.create_task(self._connect(), name="acd-connect"),
                       asyncio.create_task(self._tick(), name="acd-tick")]

    async def _connect(self) -> None:
        """Asterisk may start after the engine (make run): keep trying until it answers."""
        delay = 0.2
        while True:
            try:
                await self.ami.connect()
                return
            except AmiAuthError as e:
                log.error("%s", e)
                return
            except (TimeoutError, OSError, AmiError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.ami.close()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1)
            self._persist(self.board.tick(time.time()))

    def _persist(self, changes: Iterable[Change]) -> None:
        for c in changes:
            self.book.agent_state(c.member, c.state, c.reason, _at(c.at))

    async def resync(self, client: AmiClient) -> None:
        self.synced.clear()
        core = await client.action("CoreStatus")
        started = f"{core.get('CoreStartupDate', '')} {core.get('CoreStartupTime', '')}"
        if self.started is not None and started != self.started:
            self.restarts += 1
            log.warning("Asterisk restarted (up since %s); agents are restored from the database", started)
        self.started = started
        members = await self._queue_status(client)
        self.waiting = {}
        for m in members:
            if m.get("Event") == "QueueEntry":
                self.waiting.setdefault(m.get("Queue", ""), set()).add(m.get("Uniqueid", ""))
                self.joined[m.get("Uniqueid", "")] = time.time() - int(m.get("Wait", "0") or 0)
            elif m.get("Event") == "QueueParams" and int(m.get("Holdtime", "0") or 0):
                self.holdtime[m.get("Queue", "")] = float(m["Holdtime"])
        self._persist(self.board.resync(members, time.time()))
        names = {m.get("Name", "") for m in members if m.get("Event") == "QueueMember"}
        try:
            await self.desk.restore(names)
        except DeskError as e:
            log.error("restoring agents failed: %s", e)
        self.synced.set()
        log.info("ACD picture synced from Asterisk: %d member(s) logged in", len(self.board.picture()))

    @staticmethod
    async def _queue_status(client: AmiClient, tries: int = 120) -> list[Frame]:
        """QueueStatus, once app_queue is loaded: AMI answers while a restarting Asterisk still loads modules."""
        for _ in range(tries - 1):
            try:
                return await client.action_list("QueueStatus")
            except AmiError as e:
                if "unknown command" not in str(e).lower():
                    raise
                await asyncio.sleep(0.5)
        return await client.action_list("QueueStatus")

    async def on_event(self, e: Frame) -> None:
        name = e.get("Event", "")
        if name == "UserEvent" and e.get("UserEvent") == "TongdaiRefused":
            self._refused_code(e)
        if name == "ChanSpyStop":  # close the audit row of a listen/whisper/barge started from the CLI
            spyer = endpoint(e.get("SpyerChannel", "")).removeprefix("PJSIP/")
            self.book.audit_end_by(spyer, ("listen", "whisper", "barge"))
        self._queue_picture(name, e)
        changes, requests = self.board.apply(e, time.time())
        self._persist(changes)
        for r in requests:
            log.warning("agent %s did not answer %d calls in a row: paused (%s)", r.member, AUTOPAUSE_AFTER, r.reason)
            asyncio.create_task(self._pause(r.member, r.reason))
        if name == "AgentComplete" and self.site.desk.outcome_required:
            asyncio.create_task(self._outcome_first(e.get("MemberName", "")))
        self._ticket_facts(name, e)
        self.emergency.on_event(name, e, time.time())
        for listener in self.listeners:
            listener(name, e)

    def _queue_picture(self, name: str, e: Frame) -> None:
        queue, uid = e.get("Queue", ""), e.get("Uniqueid", "")
        if name == "QueueCallerJoin":
            self.waiting.setdefault(queue, set()).add(uid)
            self.joined[uid] = time.time()
        elif name in ("QueueCallerLeave", "QueueCallerAbandon"):
            self.waiting.get(queue, set()).discard(uid)
            self.joined.pop(uid, None)
        elif name == "AgentConnect":
            hold = float(e.get("HoldTime", "0") or 0)
            self.holdtime[queue] = (self.holdtime.get(queue, hold) * 3 + hold) / 4  # as app_queue smooths it

    async def live_channel(self, channel: str, uniqueid: str) -> bool:
        """A FastAGI session's claim checked with Asterisk: this channel exists and has this uniqueid.
        Without AMI (not yet connected, Asterisk restarting) the answer is no: the fallback serves."""
        if not channel or not uniqueid:
            return False
        try:
            await asyncio.wait_for(self.ami.connected.wait(), 5)
            reply = await self.ami.action("Getvar", Channel=channel, Variable="UNIQUEID", timeout=5)
        except (TimeoutError, AmiError, OSError):
            return False
        return reply.get("Response") == "Success" and reply.get("Value") == uniqueid

    def _refused_code(self, e: Frame) -> None:
        """An agent phone dialled a supervisor code: its dialplan refused it; audited here."""
        mode = {"1": "listen", "2": "whisper", "3": "barge"}.get(e.get("Mode", ""), "spy")  # *21, *22, *23
        self.book.audit(e.get("Seat", "").removeprefix("PJSIP/"), mode, target=e.get("Agent"),
                        call=e.get("Uniqueid"), via="phone", refused="not a supervisor seat")
        log.warning("supervisor code from %s refused by the dialplan", e.get("Seat"))

    def queue_info(self, queue: str) -> tuple[int, int, int]:
        """(callers waiting now, expected wait in seconds, agents able to answer) for the IVR."""
        waiting, agents = len(self.waiting.get(queue, ())), self._agents_in(queue)
        return waiting, int(self.holdtime.get(queue, 60) * (waiting + 1) / max(1, agents)), agents

    def _agents_in(self, queue: str) -> int:
        return sum(1 for state, _, queues in self.board.picture().values() if queue in queues and state != "paused")

    async def _outcome_first(self, agent: str) -> None:
        """The call is over without an outcome: the agent waits in after-call work until it is chosen
        (the desk or *14 refuse Ready until then)."""
        await self.book.flush(2)
        try:
            if await self.desk.call_needing_outcome(agent):
                await self.desk.pause(agent, AFTER_CALL)
        except (DeskError, AmiError, DatabaseUnavailable) as err:
            log.error("after-call pause of agent %s failed: %s", agent, str(err).splitlines()[0])

    async def _pause(self, agent: str, reason: str) -> None:
        try:
            await self.desk.pause(agent, reason)
        except (DeskError, AmiError) as err:
            log.error("automatic pause of agent %s failed: %s", agent, err)

    def _ticket_facts(self, name: str, e: Frame) -> None:
        if name == "BlindTransfer":  # an agent's phone transferred the caller (SIP REFER)
            ticket = self.book.handle(e.get("TransfereeUniqueid", ""))
            if ticket:
                ticket.event("transfer", to=e.get("Extension"), by=endpoint(e.get("TransfererChannel", "")),
                             via="phone")
            return
        ticket = self.book.handle(e.get("Uniqueid", ""))
        if ticket is None:
            return
        now = datetime.now(UTC).replace(tzinfo=None)
        if name == "QueueCallerJoin":
            ticket.update(queue_joined_at=now)
        elif name == "AgentConnect":
            wait = int(e.get("HoldTime", "0") or 0)
            ticket.update(agent=e.get("MemberName"), agent_answered_at=now, wait_s=wait)
            ticket.event("agent", agent=e.get("MemberName"), queue=e.get("Queue"), wait=wait)
        elif name == "AgentComplete":
            talk = int(e.get("TalkTime", "0") or 0)
            ticket.update(talk_s=talk)
            ticket.event("agent_complete", agent=e.get("MemberName"), talk=talk, ended_by=e.get("Reason"))
        elif name == "QueueCallerAbandon":
            wait = int(e.get("HoldTime", "0") or 0)
            position = int(e.get("Position", "0") or 0)
            ticket.update(abandoned=True, abandon_position=position, wait_s=wait)
            ticket.event("abandon", queue=e.get("Queue"), position=position,
                         original_position=int(e.get("OriginalPosition", "0") or 0), wait=wait)
        elif name == "Hangup":  # the real end, also of a caller an agent transferred out of the flow
            ticket.call(hangup_cause=f"{e.get('Cause')} {e.get('Cause-txt', '')}".strip(), ended_at=now)
