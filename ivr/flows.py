"""Call flows: plain `async def`s over a `Call`."""
from __future__ import annotations

from ivr.call import Call


async def greeting(call: Call) -> None:
    """The minimal hotline flow: answer, greet in Vietnamese, done."""
    await call.answer()
    call.log.info("call from %r", call.caller_number)
    await call.play(call.prompt("welcome"))
    await call.complete()
