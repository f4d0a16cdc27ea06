"""The supervisors' review of the public list of resolved cases (/publication): each resolved
case, newest first, with what the portal will show (the texts redacted automatically, or the
versions a supervisor wrote) and from when (`[public] publish_after_hours` after it was
resolved); hide or show a case, replace its public summary or an agency's public answer. The
originals stay on the ticket; each change is an audit row and a ticket event (db.queries.publication).

The redaction is the one the portal uses (privacy.redaction: pure, no I/O), so what the
supervisor reads here is exactly what the citizen will read."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from db.clock import utcnow
from db.queries import publication as stored
from privacy.redaction import redact
from web.context import USER, console
from web.guard import allow, body, fail
from web.language import catalog, language_of
from web.pages import render

REVIEWERS = ("supervisor",)
PAGE_SIZE = 25


def _view(c: stored.ReviewCase, now: datetime, after: timedelta) -> dict[str, Any]:
    public_at = c.resolved_at + after
    return {"code": c.code, "field": c.field, "area": c.area, "received_at": c.received_at.isoformat() + "Z",
            "resolved_at": c.resolved_at.isoformat() + "Z", "public_at": public_at.isoformat() + "Z",
            "public": not c.hidden and now >= public_at, "hidden": c.hidden,
            "summary": c.summary, "public_summary": c.public_summary,
            "shown_summary": redact(c.public_summary if c.public_summary is not None else c.summary, c.names),
            "answers": [{"id": a.assignment_id, "agency": a.agency, "agency_name": a.agency_name,
                         "original": a.original, "public": a.public,
                         "shown": redact(a.public if a.public is not None else a.original, c.names)}
                        for a in c.answers],
            "updated_by": c.updated_by, "updated_at": c.updated_at.isoformat() + "Z" if c.updated_at else None}


def _say(request: web.Request, e: stored.PublicationError) -> web.HTTPException:
    """A refusal in the reader's words (publication.err_<code>), its code for scripts."""
    words = catalog(language_of(request), console(request).site)
    status = 404 if e.code == "not_found" else 409 if e.code == "not_resolved" else 400
    return fail(status, words.get(f"publication.err_{e.code}", str(e)), code=f"publication.err_{e.code}")


@allow(*REVIEWERS)
async def page(request: web.Request) -> web.Response:
    return render("publication", request, title="Publication")


@allow(*REVIEWERS)
async def list_cases(request: web.Request) -> web.Response:
    """GET /api/publication/cases?page=N: the resolved cases, the latest resolved first."""
    try:
        number = max(1, int(request.query.get("page", "1")))
    except ValueError:
        raise fail(400, "page: a number from 1", code="bad_page") from None
    c = console(request)
    total, cases = await asyncio.to_thread(stored.resolved, c.db, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    now, after = utcnow(), timedelta(hours=c.site.public.publish_after_hours)
    return web.json_response({"total": total, "page": number, "pages": max(1, -(-total // PAGE_SIZE)),
                              "publish_after_hours": c.site.public.publish_after_hours,
                              "cases": [_view(x, now, after) for x in cases]})


@allow(*REVIEWERS)
async def set_hidden(request: web.Request) -> web.Response:
    """POST /api/publication/cases/{code}/hidden {"hidden": true|false}."""
    data = await body(request)
    if not isinstance(data.get("hidden"), bool):
        raise fail(400, "hidden: true or false", code="bad_hidden")
    code = request.match_info["code"]
    try:
        changed = await asyncio.to_thread(stored.set_hidden, console(request).db, code, data["hidden"],
                                          request[USER].username, utcnow())
    except stored.PublicationError as e:
        raise _say(request, e) from None
    return web.json_response({"code": code, "hidden": data["hidden"], "changed": changed})


def _text(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise fail(400, f"{what}: a text or null", code="bad_text")


@allow(*REVIEWERS)
async def set_texts(request: web.Request) -> web.Response:
    """PUT /api/publication/cases/{code}/texts {"summary": text|null, "answers": {"<assignment id>":
    text|null}}: the public versions; null or "" goes back to the original (redacted automatically).
    Only the keys present change."""
    data = await body(request)
    answers_in = data.get("answers") or {}
    if not isinstance(answers_in, dict):
        raise fail(400, "answers: an object of assignment id to text", code="bad_text")
    try:
        answers = {int(k): _text(v, f"answers.{k}") for k, v in answers_in.items()}
    except ValueError:
        raise fail(400, "answers: keyed by assignment id", code="bad_text") from None
    summary = _text(data.get("summary"), "summary")
    try:
        changed = await asyncio.to_thread(
            stored.set_texts, console(request).db, request.match_info["code"], request[USER].username, utcnow(),
            summary=summary, answers=answers, reset_summary="summary" in data and not summary)
    except stored.PublicationError as e:
        raise _say(request, e) from None
    return web.json_response({"code": request.match_info["code"], "changed": changed})


def routes() -> list[web.RouteDef]:
    return [web.get("/publication", page), web.get("/api/publication/cases", list_cases),
            web.post("/api/publication/cases/{code}/hidden", set_hidden),
            web.put("/api/publication/cases/{code}/texts", set_texts)]
