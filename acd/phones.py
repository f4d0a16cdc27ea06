"""Feature codes dialled from agent and supervisor phones, as FastAGI routes.

Agents: *11+PIN log in at this phone, *12 log out, *13+N pause (1 break, 2 lunch,
3 training, 4 after-call work), *14 ready. Supervisors: *21/*22/*23+agent listen / whisper
/ barge on that agent's call (ChanSpy), each use written to the audit table.
"""
from __future__ import annotations

from acd.ami import AmiError
from acd.desk import PAUSE_REASONS, AgentDesk, DeskError
from acd.frames import endpoint
from db.writer import TicketBook
from ivr.call import Call

SPY_OPTIONS = {"listen": "q", "whisper": "qw", "barge": "qB"}


def seat_of(call: Call) -> str:
    """'PJSIP/agent103-0000000a' -> 'PJSIP/agent103'."""
    return endpoint(call.env["channel"])


async def agent_codes(desk: AgentDesk, call: Call) -> None:
    await call.answer()
    code, digits, seat = call.env.args.get("code", ""), call.env.args.get("digits", ""), seat_of(call)
    try:
        if code == "11":
            agent = await desk.by_pin(digits)
            await desk.login(agent.extension, seat)
            await call.play(call.prompt("agent-logged-in"))
            for d in agent.extension:
                await call.play(call.prompt(f"digits/{d}"))
        elif code == "12":
            await desk.logout((await desk.by_seat(seat)).extension)
            await call.play(call.prompt("agent-logged-out"))
        elif code == "13" and digits in PAUSE_REASONS:
            await desk.pause((await desk.by_seat(seat)).extension, PAUSE_REASONS[digits])
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
