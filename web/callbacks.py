"""The callback worker's page: callbacks due (in the callers' queue order), claim, dial,
outcome, and the voicemail each citizen left (played through the audited recordings route)."""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from acd import callbacks
from acd.ami import AmiError
from acd.desk import DeskError
from db.queries.voicemails import voicemail_ids
from db.types import Database
from db.clock import utcnow
from web.context import USER, console
from web.guard import allow, body, fail, ident

log = logging.getLogger("tongdai.web")
WORKERS = ("callback",)  # callback workers are agents: their account carries the agent number


def _listing(db: Database) -> list[dict]:
    now = utcnow()
    rows = callbacks.listing(db)
    voicemails = voicemail_ids(db, [r.ticket for r in rows])
    return [{"id": r.id, "ticket": r.ticket, "number": r.number, "language": r.language,
             "due_at": r.due_at.isoformat() + "Z", "due": r.due_at <= now, "attempts": r.attempts, "state": r.state,
             "claimed_by": r.claimed_by, "outcome": r.outcome,
             "voicemail": f"/api/recordings/{voicemails[r.ticket]}/audio" if r.ticket in voicemails else None}
            for r in rows]


def _id(request: web.Request) -> int:
    return ident(request, what="callback id")


def _worker(request: web.Request) -> str:
    ext = request[USER].extension
    if not ext:
        raise fail(400, "this account has no agent number to work callbacks with")
    return ext


@allow("callback", "supervisor")
async def list_callbacks(request: web.Request) -> web.Response:
    return web.json_response({"callbacks": await asyncio.to_thread(_listing, console(request).db)})


@allow(*WORKERS)
async def claim(request: web.Request) -> web.Response:
    c, cb_id, ext = console(request), _id(request), _worker(request)
    if not await asyncio.to_thread(callbacks.claim, c.db, cb_id, ext):
        found = await asyncio.to_thread(callbacks.view, c.db, cb_id)
        if found is None:
            raise fail(404, f"no callback {cb_id}")
        raise fail(409, f"callback {cb_id} is {found.state}" + (f" by {found.claimed_by}" if found.claimed_by else ""))
    return web.json_response({"claimed": cb_id, "by": ext})


async def _mine(request: web.Request, cb_id: int, ext: str) -> callbacks.CallbackView:
    found = await asyncio.to_thread(callbacks.view, console(request).db, cb_id)
    if found is None:
        raise fail(404, f"no callback {cb_id}")
    if found.state != "claimed" or found.claimed_by != ext:
        raise fail(409, f"claim callback {cb_id} first (it is {found.state})")
    return found


@allow(*WORKERS)
async def dial(request: web.Request) -> web.Response:
    """Rings the worker's phone, then the citizen; the outcome is recorded when the call ends."""
    c, cb_id, ext = console(request), _id(request), _worker(request)
    await _mine(request, cb_id, ext)
    try:
        agent = await c.acd.desk.agent(ext)
    except DeskError as e:
        raise fail(404, str(e)) from None
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
    return web.json_response({"dialling": cb_id, "seat": seat,
                              "message": f"your phone ({seat}) rings first, then the citizen"}, status=202)


@allow(*WORKERS)
async def outcome(request: web.Request) -> web.Response:
    c, cb_id, ext = console(request), _id(request), _worker(request)
    value = str((await body(request)).get("outcome", ""))
    if value not in callbacks.OUTCOMES:
        raise fail(400, f"outcome: one of {', '.join(callbacks.OUTCOMES)}")
    await _mine(request, cb_id, ext)
    v = await asyncio.to_thread(callbacks.record_outcome, c.site, c.db, cb_id, value, ext)
    return web.json_response({"id": v.id, "state": v.state, "outcome": v.outcome, "attempts": v.attempts})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/callbacks", list_callbacks), web.post("/api/callbacks/{id}/claim", claim),
            web.post("/api/callbacks/{id}/dial", dial), web.post("/api/callbacks/{id}/outcome", outcome)]
