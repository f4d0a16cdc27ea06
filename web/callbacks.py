"""The callback worker's page: callbacks due (in the callers' queue order), claim, dial,
outcome, the voicemail each citizen left (played through the audited recordings route), and the
finished callbacks; a callback that brings the citizen an agency's answer shows the approved
answers (agency and text) for the worker to read out. Errors reach people in their language:
`error` is the text of the page's catalog message named in `code` (`callbacks.err_*`)."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from aiohttp import web

from acd import callbacks
from acd.ami import AmiError
from acd.desk import DeskError
from db.queries.voicemails import voicemail_ids
from db.types import Database
from db.clock import utcnow
from ivr import phone
from web.context import USER, console
from web.language import catalog, language_of
from web.guard import allow, body, fail, ident

log = logging.getLogger("tongdai.web")
WORKERS = ("callback",)  # callback workers are agents: their account carries the agent number


def _view(r: callbacks.CallbackView, now: datetime, voicemails: dict[str, int]) -> dict[str, Any]:
    return {"id": r.id, "ticket": r.ticket, "number": r.number, "language": r.language,
            "due_at": r.due_at.isoformat() + "Z", "due": r.due_at <= now, "attempts": r.attempts, "state": r.state,
            "claimed_by": r.claimed_by, "outcome": r.outcome, "field": r.field, "summary": (r.summary or "")[:200],
            "updated_at": r.updated_at.isoformat() + "Z" if r.updated_at else None,
            "voicemail": f"/api/recordings/{voicemails[r.ticket]}/audio" if r.ticket in voicemails else None,
            "answers": [{"agency": a.agency, "agency_name": a.agency_name, "text": a.text} for a in r.answers]}


def _listing(db: Database, finished: bool = False) -> list[dict[str, Any]]:
    """Open callbacks in the callers' order, or the finished ones (done, unreachable), newest first."""
    now = utcnow()
    rows = callbacks.history(db) if finished else callbacks.listing(db)
    voicemails = voicemail_ids(db, [r.ticket for r in rows])
    return [_view(r, now, voicemails) for r in rows]


def _say(request: web.Request, status: int, key: str, **values: Any) -> web.HTTPException:
    """An error in the reader's language (the `callbacks.err_*` messages of the page's catalog),
    with its message key in `code` for scripts."""
    words = catalog(language_of(request), console(request).site)
    text = words.get(f"callbacks.err_{key}", words.get("callbacks.err_failed", key))
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return fail(status, text, code=f"callbacks.err_{key}")


def _state(request: web.Request, state: str) -> str:
    return catalog(language_of(request), console(request).site).get(f"cb_state.{state}", state)


def _id(request: web.Request) -> int:
    return ident(request, what="callback id")


def _worker(request: web.Request) -> str:
    ext = request[USER].extension
    if not ext:
        raise _say(request, 400, "no_extension")
    return ext


@allow("callback", "supervisor")
async def list_callbacks(request: web.Request) -> web.Response:
    """GET /api/callbacks: the open ones; ?history=1: the finished ones."""
    finished = request.query.get("history", "") not in ("", "0")
    return web.json_response({"callbacks": await asyncio.to_thread(_listing, console(request).db, finished)})


@allow(*WORKERS)
async def claim(request: web.Request) -> web.Response:
    c, cb_id, ext = console(request), _id(request), _worker(request)
    if not await asyncio.to_thread(callbacks.claim, c.db, cb_id, ext):
        found = await asyncio.to_thread(callbacks.view, c.db, cb_id)
        if found is None:
            raise _say(request, 404, "missing", id=cb_id)
        if found.claimed_by:
            raise _say(request, 409, "taken", id=cb_id, by=found.claimed_by)
        raise _say(request, 409, "state", id=cb_id, state=_state(request, found.state))
    return web.json_response({"claimed": cb_id, "by": ext, "code": "callbacks.claimed"})


async def _mine(request: web.Request, cb_id: int, ext: str) -> callbacks.CallbackView:
    found = await asyncio.to_thread(callbacks.view, console(request).db, cb_id)
    if found is None:
        raise _say(request, 404, "missing", id=cb_id)
    if found.state != "claimed" or found.claimed_by != ext:
        raise _say(request, 409, "claim_first", id=cb_id, state=_state(request, found.state))
    return found


@allow(*WORKERS)
async def dial(request: web.Request) -> web.Response:
    """Rings the worker's phone, then the citizen; the outcome is recorded when the call ends."""
    c, cb_id, ext = console(request), _id(request), _worker(request)
    found = await _mine(request, cb_id, ext)
    if not phone.valid(found.number):
        raise _say(request, 400, "bad_number", number=found.number)
    try:
        agent = await c.acd.desk.agent(ext)
    except DeskError:
        raise _say(request, 404, "no_agent", ext=ext) from None
    seat = agent.seat or f"PJSIP/agent{ext}"

    async def run() -> None:
        try:
            outcome = await callbacks.dial(c.site, c.db, c.acd.ami, cb_id, seat, ext)
            log.info("callback %d dialled by %s: %s", cb_id, ext, outcome or "agent did not answer")
        except (TimeoutError, callbacks.CallbackError, AmiError) as e:
            log.error("callback %d: dialling failed: %s", cb_id, e)

    task = asyncio.create_task(run(), name=f"callback-{cb_id}")
    c.jobs.add(task)  # keep a reference until it ends
    task.add_done_callback(c.jobs.discard)
    words = catalog(language_of(request), c.site)
    return web.json_response({"dialling": cb_id, "seat": seat, "code": "callbacks.dialling",
                              "message": words.get("callbacks.dialling", "").replace("{seat}", seat)}, status=202)


@allow(*WORKERS)
async def outcome(request: web.Request) -> web.Response:
    c, cb_id, ext = console(request), _id(request), _worker(request)
    value = str((await body(request)).get("outcome", ""))
    if value not in callbacks.OUTCOMES:
        raise _say(request, 400, "outcome", choices=", ".join(callbacks.OUTCOMES))
    await _mine(request, cb_id, ext)
    try:
        v = await asyncio.to_thread(callbacks.record_outcome, c.site, c.db, cb_id, value, ext)
    except callbacks.CallbackError as e:
        raise _say(request, 409, e.key, **e.values) from None
    if v is None:
        raise _say(request, 404, "missing", id=cb_id)
    return web.json_response({"id": v.id, "state": v.state, "outcome": v.outcome, "attempts": v.attempts,
                              "code": "callbacks.recorded"})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/callbacks", list_callbacks), web.post("/api/callbacks/{id}/claim", claim),
            web.post("/api/callbacks/{id}/dial", dial), web.post("/api/callbacks/{id}/outcome", outcome)]
