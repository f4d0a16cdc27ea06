"""Reports from the web waiting for triage, on the staff side: the desk's list (GET /api/triage,
oldest first: code, field, area, age, photos), an agent taking one (POST /api/triage/{code}/take:
the ticket becomes theirs and open, so they can edit and forward it; two agents at once: one gets
it, the other 409), and a report's internal part on its ticket page: the citizen's contact and the
photos (GET /api/triage/{code}, GET /api/triage/photos/{id}), for whoever may read the ticket and
never on the public portal. The count of waiting reports is on the wallboard (web.board)."""
from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from typing import Any

from aiohttp import web

from db.clock import utcnow
from db.queries import web_reports
from db.queries.accounts import UserView
from db.types import Database
from web.context import USER, console
from web.guard import allow, fail, ident

READERS = ("agent", "supervisor", "callback", "leader")  # = web.tickets.READERS: who may read a ticket
CODE = re.compile(r"^[0-9A-Za-z-]{1,32}$")


def _code(request: web.Request) -> str:
    code = request.match_info["code"]
    if not CODE.match(code):
        raise fail(400, "code: a ticket code")
    return code


@allow("agent", "supervisor", "leader")
async def waiting(request: web.Request) -> web.Response:
    rows, total = await asyncio.to_thread(web_reports.waiting, console(request).db)
    now = utcnow()
    return web.json_response({"total": total, "waiting": [
        {"code": w.code, "field": w.field, "area": w.area, "created_at": w.created_at.isoformat() + "Z",
         "age_s": max(0, int((now - w.created_at).total_seconds())), "photos": w.photos} for w in rows]})


@allow("agent")
async def take(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], _code(request)
    if not user.extension:
        raise fail(400, "this account has no agent number", code="no_extension")
    try:
        await asyncio.to_thread(web_reports.take, c.db, code, user.extension, user.username, utcnow())
    except web_reports.TicketNotFound:
        raise fail(404, f"no ticket {code}", code="no_ticket") from None
    except web_reports.NotWaiting as e:
        raise fail(409, f"{code} is no longer waiting for triage", code="already_taken" if e.agent else "not_waiting",
                   agent=e.agent) from None
    return web.json_response({"code": code, "status": web_reports.TAKEN, "agent": user.extension})


def _details(db: Database, user: UserView, code: str) -> web_reports.WebReportView:
    try:
        return web_reports.details(db, code, user.role, user.extension)
    except web_reports.TicketNotFound as e:
        raise fail(404, str(e), code="no_ticket") from None
    except web_reports.NotYourTicket as e:
        raise fail(403, str(e), code="not_yours") from None


@allow(*READERS)
async def details(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], _code(request)
    view = await asyncio.to_thread(_details, c.db, user, code)
    out: dict[str, Any] = asdict(view)
    for photo in out["photos"]:
        photo["url"] = f"/api/triage/photos/{photo['id']}"
    return web.json_response(out)


def _photo(db: Database, user: UserView, photo_id: int) -> web_reports.StoredPhoto:
    try:
        return web_reports.photo(db, photo_id, user.role, user.extension)
    except web_reports.NoSuchPhoto as e:
        raise fail(404, str(e)) from None
    except web_reports.NotYourTicket as e:
        raise fail(403, str(e)) from None


@allow(*READERS)
async def photo(request: web.Request) -> web.StreamResponse:
    c, user = console(request), request[USER]
    stored = await asyncio.to_thread(_photo, c.db, user, ident(request, what="photo id"))
    root = (c.site.paths.data / "photos").resolve()
    path = (root / stored.path).resolve()
    if root not in path.parents or not path.is_file():
        raise fail(404, f"photo {stored.id} is not stored")
    return web.FileResponse(path, headers={"Content-Type": stored.content_type, "Cache-Control": "private, no-store",
                                           "Content-Disposition": "inline"})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/triage", waiting), web.post("/api/triage/{code}/take", take),
            web.get("/api/triage/photos/{id}", photo), web.get("/api/triage/{code}", details)]
