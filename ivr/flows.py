"""The hotline call flow: what a citizen meets when dialing 1022.

A ticket exists from the first AGI command; every choice, invalid entry, timeout, queue,
transfer and the hangup is an event. A hangup at any step raises `CallHangup` (caught by
the FastAGI server); the `finally` here still closes the ticket.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path
from collections.abc import Callable

from agi_scripts.commands import DIGITS
from db.writer import TicketBook, TicketHandle
from ivr import hours, phone, status_line
from ivr.call import Call
from ivr.menu import QUEUE_EXIT_CONTEXT, Action, MenuTree
from ivr.navigator import State, press
from recordings import store as recording
from config import Site

GIVE_UP = {"TIMEOUT", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "FULL"}


@dataclass(frozen=True)
class Context:
    site: Site
    tree: MenuTree
    tickets: TicketBook
    clock: Callable[[], datetime]  # local time at the site
    # (callers waiting, expected wait s, agents able to answer) per queue
    queue_info: Callable[[str], tuple[int, int, int]] = lambda queue: (0, 0, 1)


class HotlineCall:
    def __init__(self, ctx: Context, call: Call):
        self.ctx, self.call, self.site, self.tree = ctx, call, ctx.site, ctx.tree
        self.ticket: TicketHandle = ctx.tickets.open(
            call.uniqueid, call.caller_number, call.caller_name, channel=call.env["channel"],
            dnid=call.env["dnid"])
        call.log.ticket = self.ticket.code
        self.at = "greeting"
        self.status = "closed"
        self.kind: str | None = None  # the ticket's kind, for the site's status after an answered call
        self.voicemail_file: Path | None = None
        self.callback_to: str | None = None
        self.emergency_from: str | None = None  # where the caller took the emergency key path

    async def run(self) -> None:
        call, ticket = self.call, self.ticket
        try:
            # set up before the answer, so the caller's first prompt follows it with one round trip
            # (the recording starts with the media); the dialplan passes the linked id as the AGI's argument
            await call.set("__TONGDAI_TICKET", ticket.code)
            await call.execute("MixMonitor", recording.mixmonitor_args(self.site, ticket.code))
            ticket.call(linkedid=call.env["arg_1"] or await call.get("CHANNEL(linkedid)"))
            await call.answer()
            ticket.answered()
            ticket.event("answer", caller=call.caller_number)
            if hours.is_open(self.site, self.ctx.clock()):
                state = State(self.tree.start)
                key = await call.play(call.prompt("welcome"), escape=DIGITS)
            else:
                self.status = "after_hours"
                self.kind = "after_hours"
                ticket.update(kind="after_hours")
                ticket.event("after_hours", local_time=self.ctx.clock().strftime("%a %H:%M"))
                state = State(self.tree.after_hours)
                key = await call.play(call.prompt("closed"), escape=DIGITS)
            action = await self.navigate(state, key or None)
            self.at = action.kind
            await self.perform(action)
            await call.complete()
        finally:
            try:
                await self.schedule_callback()
            finally:  # whatever happened to the message, the ticket is closed
                ticket.event("hangup", by="caller" if call.channel.hung_up else "hotline", at=self.at)
                ticket.close(self.status, self.site.desk.status_for(self.kind), language=call.language)
                call.log.info("call ended at %s", self.at)

    async def navigate(self, state: State, key: str | None) -> Action:
        call = self.call
        while True:
            self.at = state.menu
            if key is None:
                menu = self.tree.menus[state.menu]
                key = await call.menu_key(call.prompt(menu.prompt), self.tree.timeout_ms)
            step = press(self.tree, state, key)
            self.ticket.event(step.event, **step.detail)
            if step.detail.get("to") == self.tree.emergency.menu:
                self.emergency_from = f"menu:{state.menu}"
            if step.state.language != call.language:
                call.language = step.state.language
                await call.set("CHANNEL(language)", call.language)
            state, key = step.state, None
            for name in step.play:
                pressed = await call.play(call.prompt(name), escape=DIGITS)
                key = key or pressed or None
            if step.action:
                if step.action.kind == "emergency" and not self.emergency_from:
                    self.emergency_from = f"menu:{state.menu}"
                return step.action

    async def perform(self, action: Action) -> None:
        call, ticket = self.call, self.ticket
        if action.kind == "emergency":
            await self.emergency(action.need("service"))
        elif action.kind == "goodbye":
            await call.play(call.prompt("goodbye"))
        elif action.kind == "voicemail":
            await self.voicemail()
        elif action.kind == "status":
            await self.request_status()
        elif action.kind == "info":
            self.kind = "info"
            ticket.update(kind="info", field=action.field, queue=action.queue)
            await call.play(call.prompt(action.need("prompt")))
            await self.queue(action.need("queue"))
        elif action.kind == "report":
            queue = self.site.queue_for(action.need("field"))
            self.kind = "report"
            ticket.update(kind="report", field=action.field, queue=queue)
            ticket.event("report", field=action.field)
            await self.queue(queue)
        else:  # operator
            self.kind = "operator"
            ticket.update(kind="operator", queue="operator")
            await self.queue("operator")

    async def request_status(self) -> None:
        """The status of a request (`ivr.status_line`), then goodbye, the operator or the emergency menu."""
        call, site, tree = self.call, self.site, self.tree
        self.kind, self.at = "info", "status"
        self.ticket.update(kind="info")
        line = status_line.for_hotline(site.hotline, site.timezone, tree.timeout_ms, tree.retries, tree.emergency.key,
                                       self.ctx.tickets.engine, self.ticket.code,
                                       lambda name, lang: Path(call.prompt(name, lang) + ".wav").exists())
        end = await status_line.status_line(call, self.ticket, line)
        if end == status_line.EMERGENCY:
            await self.emergency_menu("status")
        elif end == status_line.OPERATOR:
            await self.perform(Action("operator"))
        else:
            await call.play(call.prompt("goodbye"))

    async def callback_number(self) -> str | None:
        """The caller's number if it is a valid Vietnamese number, else one keyed in and confirmed."""
        call = self.call
        if phone.valid(call.caller_number):
            return phone.national(call.caller_number)
        for _ in range(self.tree.retries):
            digits = await call.ask(call.prompt("enter-number"), 10000, 12)
            if not phone.valid(digits):
                self.ticket.event("invalid", menu="callback-number", digits=digits)
                continue
            for d in digits:
                await call.play(call.prompt(f"digits/{d}"))
            if await call.menu_key(call.prompt("confirm-number"), self.tree.timeout_ms) == "1":
                return phone.national(digits)
        return None

    async def voicemail(self) -> None:
        """After hours: a message after the tone, then a callback at the next opening."""
        call, ticket = self.call, self.ticket
        self.at = "voicemail"
        self.callback_to = await self.callback_number()
        path = recording.monitor_dir(self.site).parent / "voicemail" / f"{ticket.code}-vm"
        ticket.event("voicemail", step="record", number=self.callback_to)
        self.voicemail_file = path.with_suffix(".wav")
        await call.play(call.prompt("leave-message"))
        await call.record(str(path), max_ms=120000, silence_s=5)
        await call.play(call.prompt("callback-scheduled"))

    async def schedule_callback(self) -> None:
        """Keep the message and schedule the callback, even when the caller hung up while recording."""
        wav = self.voicemail_file
        if wav is None or not wav.exists():
            return
        stored = await asyncio.to_thread(recording.take, self.site, wav, datetime.now(UTC))
        self.ticket.book.recording(self.ticket.code, "voicemail", stored)
        number = self.callback_to
        if not number:
            self.ticket.event("callback", step="impossible", reason="no valid number")
            return
        try:
            due = hours.next_opening(self.site, self.ctx.clock())
        except ValueError as e:  # a site closed for the next 60 days: keep the message, say why
            self.ticket.event("callback", step="impossible", reason=str(e))
            return
        self.ticket.book.callback(self.ticket.code, number, self.call.language, due.astimezone(UTC)
                                  .replace(tzinfo=None))
        self.ticket.event("callback", step="scheduled", number=number, due=due.isoformat(timespec="minutes"))
        self.status = "callback_pending"

    async def say_ticket(self) -> None:
        call = self.call
        digits = self.ticket.code.rsplit("-", 1)[1]
        await call.play_all([call.prompt("ticket-number"), *(call.prompt(f"digits/{d}") for d in digits)])

    async def queue(self, name: str) -> None:
        if self.status == "after_hours":
            self.status = "closed"
        await self.say_ticket()
        await self._join(name)

    async def announce(self, name: str) -> None:
        """Position and expected wait, in the caller's language, when someone is ahead."""
        call = self.call
        waiting, expected, _ = self.ctx.queue_info(name)
        if waiting < 1:
            return
        minutes = max(1, round(expected / 60))
        await call.play_all([call.prompt("queue-position"), *(call.prompt(f"digits/{d}") for d in str(waiting + 1)),
                             call.prompt("queue-wait"), *(call.prompt(f"digits/{d}") for d in str(minutes)),
                             call.prompt("minutes")])

    async def offer_callback(self, name: str) -> bool:
        """A long wait, or nobody to answer: offer a callback that keeps the caller's place."""
        call = self.call
        _, expected, agents = self.ctx.queue_info(name)
        limit = self.site.callbacks.offer_after_s
        if not limit or (agents and expected <= limit):  # 0: never offered
            return False
        self.ticket.event("callback", step="offered", queue=name, expected_wait=expected, agents=agents)
        if await call.menu_key(call.prompt("offer-callback"), 3000) != "1":
            return False
        self.callback_to = await self.callback_number()
        if not self.callback_to:
            return False
        now = datetime.now(UTC).replace(tzinfo=None)
        self.ticket.book.callback(self.ticket.code, self.callback_to, call.language, now, queue=name, queued_at=now)
        self.ticket.event("callback", step="scheduled", number=self.callback_to, queue=name, due="now")
        self.status = "callback_pending"
        await call.play(call.prompt("callback-scheduled"))
        return True

    async def _join(self, name: str) -> None:
        call, ticket = self.call, self.ticket
        queue = next(q for q in self.site.queues if q.name == name)
        if await self.offer_callback(name):
            return
        await self.announce(name)
        self.at = f"queue:{name}"
        ticket.event("queue", queue=name, step="join")
        await call.execute("Queue", f"{name},t,,,{queue.max_wait}")
        context, result = await call.get_all("CONTEXT", "QUEUESTATUS")
        if context == QUEUE_EXIT_CONTEXT:  # the emergency key, pressed while waiting
            ticket.event("queue", queue=name, step="leave", result="EMERGENCY_KEY")
            await self.emergency_menu(f"queue:{name}")
            return
        result = result or None
        ticket.event("queue", queue=name, step="leave", result=result)
        if result in GIVE_UP and name != "operator":  # waited too long for this service: the operator
            ticket.event("queue", queue="operator", step="overflow", after=result)
            await self._join("operator")
        elif result in GIVE_UP:
            await call.play(call.prompt("sorry-busy"))

    async def emergency_menu(self, came_from: str) -> None:
        """The emergency key was pressed outside a menu (in a queue): the emergency menu, then its choice."""
        self.emergency_from = came_from
        self.ticket.event("menu", menu=came_from, digit=self.tree.emergency.key, choice="menu",
                          to=self.tree.emergency.menu)
        action = await self.navigate(State(self.tree.emergency.menu, self.call.language), None)
        await self.perform(action)

    async def emergency(self, service: str) -> None:
        """Put the caller through to 113/114/115 (recorded, as the whole call is); how the service
        answered comes over AMI (`acd.emergency_calls`). Unanswered: the number, then an operator."""
        call, ticket, site = self.call, self.ticket, self.site
        number = site.emergency.numbers[service]
        self.status, self.at = "closed", f"emergency:{number}"
        self.kind = "emergency"
        ticket.update(kind="emergency", service=number, priority=1)
        ticket.event("emergency", step="chosen", service=number, name=service, mode=site.emergency.mode,
                     **{"from": self.emergency_from})
        if site.emergency.mode == "transfer":
            ticket.event("transfer", to=number, via=site.trunk.name)
            status = await call.dial(f"PJSIP/{number}@{site.trunk.name}", 120)
            ticket.event("transfer", to=number, result=status)
            if status == "ANSWER":
                return
        await call.play(call.prompt(f"emergency-{service}-guide"))
        await call.play(call.prompt("emergency-operator"))
        ticket.update(queue="operator")
        await self.queue("operator")


async def hotline(ctx: Context, call: Call) -> None:
    await HotlineCall(ctx, call).run()
