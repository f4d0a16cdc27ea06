"""Case lookup (`/lookup`): the citizen types the ticket code and the last 3 digits of the phone
number they reported with (or their email), and sees the status, the deadline, the history in
public sentences and the approved answers. A plain form POST: it works without script.

Wrong guesses are limited, counted *before* the database is asked (so a concurrent burst counts in
full) and forgiven when the lookup succeeds (a citizen reading their own case uses up nothing):
- per client address (`client_address`: behind `[public] proxy`, the X-Forwarded-For it sets):
  20 per 15 minutes, enough for a family's few cases and typos, not for a sweep of codes;
- per code from anywhere: 5 per 15 minutes and 20 per day, since the second factor has only
  1,000 values: a guesser spread over many addresses needs about 25 days on average for one code.
  (A stranger can so block a code's lookups for a while; the citizen can still call the hotline.)
Over a limit: 429 with Retry-After (seconds) and a page saying when to try again.

A wrong second factor and an unknown code get the same answer (status, page, no echo of what was
typed), from the same path: db.queries.case_lookup.find compares inside one query function
whatever the code. A malformed code or factor is refused before any lookup, which says nothing
about any case. `POST /lookup.json` answers the same in JSON.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from db.clock import utcnow
from db.queries import case_lookup
from portal import case_story
from portal.context import client_address, public
from portal.language import gettext, language_of, render
from privacy.redaction import redact

WINDOW, PER_ADDRESS, PER_CODE = 15 * 60, 20, 5
DAY, PER_CODE_DAY = 24 * 3600, 20


class Refused(Exception):
    """Why no case is shown: bad_code, bad_proof (the form), not_found, too_many (with a wait)."""

    def __init__(self, reason: str, status: int, wait: int = 0):
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


def _reserve(request: web.Request, code: str) -> Callable[[], None]:
    """Count one attempt on the address and the code, or raise too_many; returns what forgives it."""
    p, address = public(request), client_address(request)
    short = p.limiter("lookup", PER_ADDRESS, WINDOW)
    long = p.limiter("lookup-day", PER_CODE_DAY, DAY)
    wait, stamp = short.reserve((f"address:{address}", PER_ADDRESS), (f"code:{code}", PER_CODE))
    if stamp is None:
        raise Refused("too_many", 429, wait)
    wait, day_stamp = long.reserve((f"code:{code}", PER_CODE_DAY))
    if day_stamp is None:
        short.succeeded(stamp)  # not tried: the short window's count is given back
        raise Refused("too_many", 429, wait)

    def forgive() -> None:
        short.succeeded(stamp)  # no keys: the count so far stays (a success must not reset guessing)
        long.succeeded(day_stamp)
    return forgive


async def _find(request: web.Request, values: Any) -> case_story.CaseView:
    p = public(request)
    code = case_story.normal_code(str(values.get("code") or ""), p.site.hotline)
    if code is None:
        raise Refused("bad_code", 400)
    proof = case_story.proof_of(str(values.get("proof") or ""))
    if proof is None:
        raise Refused("bad_proof", 400)
    forgive = _reserve(request, code)
    found = await asyncio.to_thread(case_lookup.find, p.db, code, proof, utcnow())
    if found is None:
        raise Refused("not_found", 404)
    forgive()
    return _view(request, found)


def _view(request: web.Request, found: case_lookup.PublicCase) -> case_story.CaseView:
    lang = language_of(request)

    def t(message: str) -> str:
        return gettext(request, message)

    def hide(text: str) -> str:
        return redact(text, found.private_names, lang)
    return case_story.view(found, public(request).site, lang, t, hide)


def _retry(wait: int) -> dict[str, str]:
    return {"Retry-After": str(wait)} if wait else {}


async def form(request: web.Request) -> web.Response:
    return render(request, "lookup.html", case=None, error=None, minutes=0)


async def submit(request: web.Request) -> web.Response:
    try:
        case = await _find(request, await request.post())
    except Refused as e:
        response = render(request, "lookup.html", status=e.status, case=None, error=e.reason,
                          minutes=max(1, -(-e.wait // 60)))
        response.headers.update(_retry(e.wait))
        return response
    return render(request, "lookup.html", case=case, error=None, minutes=0)


async def submit_json(request: web.Request) -> web.Response:
    try:
        if request.content_type == "application/json":
            values = await request.json()
            if not isinstance(values, dict):
                raise ValueError("not an object")
        else:
            values = await request.post()
    except ValueError:
        values = {}
    try:
        case = await _find(request, values)
    except Refused as e:
        body: dict[str, Any] = {"error": e.reason}
        if e.wait:
            body["retry_after"] = e.wait
        return web.json_response(body, status=e.status, headers=_retry(e.wait))
    return web.json_response(asdict(case), dumps=lambda v: json.dumps(v, ensure_ascii=False))


def routes() -> list[web.RouteDef]:
    return [web.get("/lookup", form), web.post("/lookup", submit), web.post("/lookup.json", submit_json)]
