"""The status of a request by phone (the main menu's "status" action).

A caller calling from the number a case was reported from hears its latest open case at once:
"Phản ánh số <digits>, trạng thái: <state>, cơ quan xử lý: <agency>, hạn xử lý: <date>". Then
(or when no open case comes from that number) they can key a case's number: the six digits of
the date and its number, as in 1022-261203-0042 (the hotline's digits in front are accepted
too), read back for confirmation (1 yes, 2 again). An unknown number is said so, with the choice
of entering it again or the operator.

Privacy: whoever knows a number may hear its state and deadline (as printed on the citizen's
receipt); the agency and whether an answer is ready are said only when the call comes from the
number the case was reported from. The answer itself is never read by the machine: an operator
reads it to the caller, with the caller's cases on screen. At most `MAX_LOOKUPS` numbers are
looked up in one call, so numbers cannot be tried one after another.

Every lookup is a ticket event (`status_lookup`: by caller number or by code, the code asked,
found or not); a hangup at any step raises `CallHangup` and the hotline flow closes the ticket.
The decisions (parsing, what to say, which key means what) are pure functions, tested without
a PBX.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from agi_scripts.commands import DIGITS
from db.clock import utcnow
from db.queries import caller_status
from db.queries.caller_status import CaseStatus, StatusUnavailable
from db.writer import TicketHandle
from ivr import phone
from ivr.call import Call

DONE = ("resolved", "closed")
STATE_PROMPTS = {"open": "status-open", "forwarded": "status-forwarded", "answered": "status-answered",
                 "resolved": "status-resolved", "closed": "status-closed", "callback_pending": "status-callback"}
MAX_LOOKUPS = 5
MAX_REPEATS = 3
CODE_DIGITS = (10, 15)  # yymmdd + a number of 4 (reserved blocks) to 9 digits (numbers from the clock)
CODE_TIMEOUT_MS = 10000
# what a choice ends the status line with (besides the choices inside it)
OPERATOR, GOODBYE, EMERGENCY = "operator", "goodbye", "emergency"


class _EmergencyKey(Exception):
    """The emergency key was pressed in one of the status line's choices."""


# ---- pure decisions ----

def number_forms(caller: str) -> tuple[str, ...]:
    """The ways one caller's number may be stored: as received, national, +84 and 84."""
    raw = caller.strip()
    if not raw:
        return ()
    forms = {raw}
    if phone.valid(raw):
        national = phone.national(raw)
        forms |= {national, "+84" + national[1:], "84" + national[1:]}
    return tuple(sorted(forms))


def code_from_digits(hotline: str, digits: str) -> str | None:
    """The ticket code the caller keyed ('2612030042' -> '1022-261203-0042'), or None when the
    digits cannot be one (too short or long, not a date)."""
    digits = digits.strip().removesuffix("#")
    if not digits.isdigit():
        return None
    tail = digits[len(hotline):] if digits.startswith(hotline) else ""
    for candidate in (tail, digits):  # with the hotline's digits in front, or without
        if CODE_DIGITS[0] <= len(candidate) <= CODE_DIGITS[1] and _is_day(candidate[:6]):
            return f"{hotline}-{candidate[:6]}-{candidate[6:]}"
    return None


def _is_day(yymmdd: str) -> bool:
    try:
        datetime.strptime(yymmdd, "%y%m%d")
    except ValueError:
        return False
    return True


def spoken_digits(code: str) -> str:
    """The digits a caller keys for a code: '1022-261203-0042' -> '2612030042'."""
    return "".join(ch for ch in code.split("-", 1)[-1] if ch.isdigit())


def state_prompt(status: str) -> str:
    return STATE_PROMPTS.get(status, "status-open")  # in_call, unreachable...: received, to be handled


def date_names(day: date, exists: Callable[[str], bool]) -> list[str]:
    """'ngày 15, tháng 6, năm 2026' as prompts (`ivr.prompts.date_prompts`); a year without a
    prompt is said digit by digit."""
    year = f"date/year-{day.year}"
    return [f"date/day-{day.day}", f"date/month-{day.month}",
            *([year] if exists(year) else [f"digits/{d}" for d in str(day.year)])]


def who_handles(case: CaseStatus, exists: Callable[[str], bool]) -> str | None:
    """The agency's prompt; for an agency without one (added after the prompts were made), the field's."""
    for name in (case.agency and f"agency/{case.agency}", case.field and f"field/{case.field}"):
        if name and exists(name):
            return name
    return None


def status_message(case: CaseStatus, timezone: str, exists: Callable[[str], bool]) -> list[str]:
    """The prompts that say a case's status, in order (see the module's note on privacy)."""
    out = ["status-case", *(f"digits/{d}" for d in spoken_digits(case.code)), "status-state",
           state_prompt(case.status)]
    who = who_handles(case, exists) if case.own else None
    if who:
        out += ["status-agency", who]
    if case.deadline_at is not None and case.status not in DONE:
        local = case.deadline_at.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()
        out += ["status-deadline", *date_names(local, exists)]
        if case.overdue:
            out.append("status-overdue")
    if case.own and case.answered:
        out.append("status-answer-ready")
    return out


def choice(key: str, options: Mapping[str, str], emergency_key: str) -> str | None:
    """What a key means in one of the status line's choices (None: not an option)."""
    if key == emergency_key and key not in options:
        return EMERGENCY
    return options.get(key)


# ---- the call ----

@dataclass(frozen=True)
class StatusLine:
    """What the status line needs from the hotline: its settings and the two lookups."""
    hotline: str
    timezone: str
    timeout_ms: int
    retries: int
    emergency_key: str
    latest_open: Callable[[Sequence[str]], Awaitable[CaseStatus | None]]
    by_code: Callable[[str, Sequence[str]], Awaitable[CaseStatus | None]]
    exists: Callable[[str, str], bool]  # (prompt name, language): is there a file to play


def for_hotline(hotline: str, timezone: str, timeout_ms: int, retries: int, emergency_key: str, db: Engine,
                besides: str, exists: Callable[[str, str], bool]) -> StatusLine:
    """The lookups in the database, off the event loop; `besides` is the asking call's own ticket."""
    return StatusLine(
        hotline, timezone, timeout_ms, retries, emergency_key,
        lambda numbers: asyncio.to_thread(caller_status.latest_open, db, numbers, besides, utcnow()),
        lambda code, numbers: asyncio.to_thread(caller_status.by_code, db, code, numbers, utcnow()), exists)


async def status_line(call: Call, ticket: TicketHandle, line: StatusLine) -> str:
    """Run the status line; returns how it ends: OPERATOR, GOODBYE or EMERGENCY."""
    try:
        return await _run(call, ticket, line)
    except _EmergencyKey:
        return EMERGENCY
    except StatusUnavailable as e:
        ticket.event("status_lookup", error=str(e)[:200])
        await call.play(call.prompt("status-unavailable"))
        return OPERATOR


async def _run(call: Call, ticket: TicketHandle, line: StatusLine) -> str:
    numbers = number_forms(call.caller_number)
    case = await line.latest_open(numbers)
    ticket.event("status_lookup", by="caller_number", found=case is not None,
                 **({"code": case.code} if case else {}))
    if case is not None:
        end = await _tell(call, ticket, line, case)
        if end != "another":
            return end
    for _ in range(MAX_LOOKUPS):
        code = await _enter_code(call, ticket, line)
        if code is None:  # no number the caller could key: an operator helps
            return OPERATOR
        case = await line.by_code(code, numbers)
        ticket.event("status_lookup", by="code", code=code, found=case is not None,
                     **({"own": case.own} if case else {}))
        if case is None:
            if await _choose(call, ticket, line, "status-not-found", {"1": "again", "0": OPERATOR},
                             silence=None, default=OPERATOR) == OPERATOR:
                return OPERATOR
            continue
        end = await _tell(call, ticket, line, case)
        if end != "another":
            return end
    return GOODBYE


async def _tell(call: Call, ticket: TicketHandle, line: StatusLine, case: CaseStatus) -> str:
    """Say the status; then another number (1), again (*), the operator (0), or goodbye."""
    end = GOODBYE
    for _ in range(MAX_REPEATS):
        for name in status_message(case, line.timezone, lambda n: line.exists(n, call.language)):
            await call.play(call.prompt(name))
        end = await _choose(call, ticket, line, "status-after", {"1": "another", "0": OPERATOR, "*": "repeat"},
                            silence=GOODBYE, default=GOODBYE)
        if end != "repeat":
            return end
    return GOODBYE if end == "repeat" else end


async def _choose(call: Call, ticket: TicketHandle, line: StatusLine, prompt: str, options: Mapping[str, str],
                  silence: str | None, default: str, pressed: str = "") -> str:
    """Ask `prompt` until a key of `options`: an invalid key is said so and asked again, silence
    ends with `silence` (or asks again when None), `line.retries` failures end with `default`.
    `pressed`: a key already pressed (during what was said before): the first answer."""
    for attempt in range(1, line.retries + 1):
        key = pressed if attempt == 1 and pressed else await call.menu_key(call.prompt(prompt), line.timeout_ms)
        chosen = choice(key, options, line.emergency_key)
        if chosen == EMERGENCY:
            raise _EmergencyKey
        if chosen is not None:
            return chosen
        if key == "" and silence is not None:
            return silence
        ticket.event("invalid" if key else "timeout", menu=prompt, digit=key, attempt=attempt)
        if key:
            await call.play(call.prompt("invalid"))
    return default


async def _enter_code(call: Call, ticket: TicketHandle, line: StatusLine) -> str | None:
    """A code keyed in and confirmed (1), or None after `line.retries` failed entries."""
    for attempt in range(1, line.retries + 1):
        digits = await call.ask(call.prompt("status-enter-code"), CODE_TIMEOUT_MS, CODE_DIGITS[1] + len(line.hotline))
        code = code_from_digits(line.hotline, digits)
        if code is None:
            ticket.event("invalid" if digits else "timeout", menu="status-code", digits=digits, attempt=attempt)
            if digits:
                await call.play(call.prompt("invalid"))
            continue
        pressed = ""
        for d in spoken_digits(code):  # a caller sure of the number may answer during the read-back
            pressed = await call.play(call.prompt(f"digits/{d}"), escape=DIGITS)
            if pressed:
                break
        if await _choose(call, ticket, line, "confirm-number", {"1": "yes", "2": "again"},
                         silence=None, default="again", pressed=pressed) == "yes":
            return code
    return None
