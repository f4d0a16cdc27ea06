"""Feature codes dialled from agent and supervisor phones, as FastAGI routes.

Agents: *11 log in at this phone (the PIN is keyed in when asked, so it is in no dialled
number, CDR or AGI URL), *12 log out, *13+N pause with the active reason of digit N (rows an admin
edits; the defaults 1 break, 2 lunch, 3 training, 4 after-call work), *14 ready. Supervisors:
*21/*22/*23+agent listen / whisper / barge on that agent's call (ChanSpy), each use written to
the audit table. Only the site's supervisor seats may spy (their phones alone have the codes in
their dialplan context; this is checked again here).
"""
from __future__ import annotations

import asyncio

from acd.ami import AmiError
from acd.desk import AgentDesk, AgentInfo, DeskError, pause_reason_keys
from acd.frames import endpoint
from acd.pin_guard import PinGuard
from db.writer import TicketBook
from ivr.call import Call

SPY_OPTIONS = {"listen": "q", "whisper": "qw", "barge": "qB"}


def seat_of(call: Call) -> str:
    """'PJSIP/agent103-0000000a' -> 'PJSIP/agent103'."""
    return endpoint(call.env["channel"])


async def _pin_login(desk: AgentDesk, guard: PinGuard, book: TicketBook, call: Call, seat: str) -> AgentInfo:
    actor = seat.removeprefix("PJSIP/")
    if guard.locked(seat):
        book.audit(actor, "pin_refused", target=seat, call=call.uniqueid, reason="locked out")
        raise DeskError(f"{seat} is locked out after repeated wrong PINs")
    pin = await call.ask(call.prompt("agent-enter-pin"), 10000, 12)
    try:
        agent = await desk.by_pin(pin)
    except DeskError:
        locked = guard.failed(seat)
        book.audit(actor, "pin_refused", target=seat, call=call.uniqueid, reason="wrong PIN")
        if locked:
            book.audit(actor, "pin_lockout", target=seat, call=call.uniqueid, minutes=int(guard.lockout_s // 60))
            call.log.warning("PIN entry at %s locked out after %d wrong PINs", seat, guard.limit)
        await asyncio.sleep(guard.delay_s)
        raise DeskError("wrong PIN") from None
    guard.succeeded(seat)
    return agent


async def agent_codes(desk: AgentDesk, guard: PinGuard, book: TicketBook, call: Call) -> None:
    await call.answer()
    code, digits, seat = call.env.args.get("code", ""), call.env.args.get("digits", ""), seat_of(call)
    try:
        if not desk.is_phone(seat):
            raise DeskError(f"{seat} is not a phone of this site")
        if code == "11":
            agent = await _pin_login(desk, guard, book, call, seat)
            await desk.login(agent.extension, seat)
            await call.play(call.prompt("agent-logged-in"))
            for d in agent.extension:
                await call.play(call.prompt(f"digits/{d}"))
        elif code == "12":
            await desk.logout((await desk.by_seat(seat)).extension)
            await call.play(call.prompt("agent-logged-out"))
        elif code == "13" and digits in (reasons := await asyncio.to_thread(pause_reason_keys, desk.db)):
            await desk.pause((await desk.by_seat(seat)).extension, reasons[digits])
            await call.play(call.prompt("agent-paused"))
        elif code == "14":
            await desk.unpause((await desk.by_seat(seat)).extension)
            await call.play(call.prompt("agent-ready"))
        else:
            raise DeskError(f"unknown feature code *{code}{digits}")
    except (DeskError, AmiError) as e:
        call.log.warning("feature code *%s from %s refused: %s", code, seat, e)
        await call.play(call.prompt("agent-error"))
    await call.complete()


async def supervisor_codes(desk: AgentDesk, book: TicketBook, call: Call) -> None:
    await call.answer()
    mode, target, seat = call.env.args.get("mode", ""), call.env.args.get("agent", ""), seat_of(call)
    if not desk.is_supervisor_seat(seat):  # the dialplan gives agents no such code; a second lock here
        book.audit(seat.removeprefix("PJSIP/"), mode or "spy", target=target, call=call.uniqueid, via="phone",
                   refused="not a supervisor seat")
        call.log.warning("spy code *2x%s from %s refused: not a supervisor seat", target, seat)
        await call.play(call.prompt("agent-error"))
        await call.complete()
        return
    try:
        agent = await desk.agent(target)
        if mode not in SPY_OPTIONS or not agent.seat:
            raise DeskError(f"agent {target} is not logged in" if agent.seat is None else f"unknown mode {mode}")
    except DeskError as e:
        call.log.warning("supervisor %s: %s", seat, e)
        await call.play(call.prompt("agent-error"))
        await call.complete()
        return
    key = book.audit(seat.removeprefix("PJSIP/"), mode, target=agent.extension, call=call.uniqueid, via="phone")
    try:
        await call.execute("ChanSpy", f"{agent.seat},{SPY_OPTIONS[mode]}")
    finally:
        book.audit_end(key)
    await call.complete()
