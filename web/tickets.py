"""Tickets in the console: search, detail with timeline, edits and notes, one-click export,
and recording playback (every playback and export is audited).

Who sees what: supervisors, leaders and admins every ticket; an agent only the tickets of
calls they answered; a callback worker the tickets that have a callback. Leaders only read.
"""
from __future__ import annotations

import asyncio
import json
import math
import re
from datetime import date
from typing import Any

from aiohttp import web

from config.local_time import parse_day

from acd.stats import day_bounds
from db import store
from db.queries import tickets as stored
from db.queries.tickets import CASE_STATUSES, TICKET_STATUSES, NoSuchRecording, NotYourTicket, TicketNotFound
from db.types import Database
from db.clock import utcnow
from config import Site
from web.accounts import UserView
from web.language import catalog, language_of
from web.story import describe_ticket
from web.context import USER, console
from web.guard import allow, body, fail, ident

READERS = ("agent", "supervisor", "callback", "leader")
EDITORS = ("agent", "supervisor", "callback")
MAX_TEXT = 4000
REPLY_WAYS = ("callback", "sms")  # how the citizen hears the approved answer (db/queries/assignments.review)
# one coordinate in decimal degrees, with a point or (as Vietnamese write decimals) a comma
_DEGREES = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{1,12})?")


def _day(value: str, name: str) -> date:
    try:
        return parse_day(value)  # dd/mm/yyyy as people type it, or yyyy-mm-dd
    except ValueError:
        raise fail(400, f"{name}: a date dd/mm/yyyy (or YYYY-MM-DD)", code="bad_date") from None


def _count(q: dict[str, Any], name: str, default: str, low: int, high: int) -> int:
    text = str(q.get(name, default))
    if not text.isdigit():
        raise fail(400, f"{name}: a whole number ({low} to {high})")
    return high if len(text) > len(str(high)) else min(max(int(text), low), high)


def search(db: Database, site: Site, user: UserView, q: dict[str, Any]) -> dict[str, Any]:
    """The query string's filters checked (400 on a bad one, in the order the fields are listed),
    then the tickets this user may see: `limit` of them from `offset`, and how many match."""
    if q.get("status") and q["status"] not in TICKET_STATUSES + CASE_STATUSES:
        raise fail(400, f"status: one of {', '.join(TICKET_STATUSES + CASE_STATUSES)}")
    if q.get("area") and q["area"] not in {a.key for a in site.areas}:
        raise fail(400, f"area: one of {', '.join(a.key for a in site.areas)}")
    created_from = day_bounds(_day(q["from"], "from"), site.timezone)[0] if q.get("from") else None
    created_before = day_bounds(_day(q["to"], "to"), site.timezone)[1] if q.get("to") else None
    limit, offset = _count(q, "limit", "100", 1, 1000), _count(q, "offset", "0", 0, 10_000_000)
    rows, total = stored.search(db, user.role, user.extension, code=q["code"].strip() if q.get("code") else None,
                                number=q["number"].strip() if q.get("number") else None,
                                field=q.get("field") or None, status=q.get("status") or None,
                                area=q.get("area") or None, created_from=created_from,
                                created_before=created_before, limit=limit, offset=offset)
    return {"tickets": rows, "total": total, "offset": offset, "limit": limit}


def load(db: Database, user: UserView, code: str) -> dict[str, Any]:
    """The whole record of one ticket, if this user may see it (else 404 / 403)."""
    try:
        out = stored.load(db, code, user.role, user.extension)
    except TicketNotFound as e:
        raise fail(404, str(e)) from None
    except NotYourTicket as e:
        raise fail(403, str(e)) from None
    out["can_edit"] = user.role in EDITORS + ("admin",)
    return out


def _text(data: dict[str, Any], name: str, size: int) -> str:
    value = data[name]
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > size:
        raise fail(400, f"{name}: text up to {size} characters")
    return value.strip()


def _code(data: dict[str, Any], name: str, codes: list[str]) -> str | None:
    value = data[name]
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in codes:
        raise fail(400, f"{name}: one of {', '.join(codes)}")
    return value


def map_point(text: str) -> str | None:
    """A map point as people type or paste it, stored as "lat,lon" with 6 decimals (about 10 cm):
    "16.0678, 108.2208", "16.0678 108.2208", "16,0678 108,2208" or "16,0678; 108,2208" (the decimal
    comma written in Vietnam). The two numbers are apart by white space, a ";" or, when both use
    decimal points, one ","; "16,0678,108,2208" is ambiguous and refused. Empty: None (cleared).
    ValueError when it is no point on Earth: latitude -90..90, longitude -180..180. (The site's data
    has no province outline, so any real point is accepted.)"""
    text = text.strip()
    if not text:
        return None
    if ";" in text:
        parts = text.split(";")
    elif len(text.split()) > 1:
        parts = [p.rstrip(",") for p in text.split()]
    else:
        parts = text.split(",") if text.count(",") == 1 else []
    if len(parts) != 2 or not all(_DEGREES.fullmatch(p.strip()) for p in parts):
        raise ValueError("two numbers: latitude, longitude")
    lat, lon = (float(p.strip().replace(",", ".")) for p in parts)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude -90..90, longitude -180..180")
    return f"{round(lat, 6) + 0.0:.6f},{round(lon, 6) + 0.0:.6f}"  # + 0.0: never "-0.000000"


def _changes(data: dict[str, Any], site: Site) -> dict[str, Any]:
    """The body of a save, checked (400 naming the first bad key); only the keys given."""
    allowed = {"field", "summary", "priority", "status", "caller_name", "address", "area", "outcome", "reply_by",
               "map_point"}
    unknown = set(data) - allowed - {"csrf"}
    if unknown:
        raise fail(400, f"unknown key(s): {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}")
    out: dict[str, Any] = {}
    if "field" in data:
        fields = sorted(f.key for f in site.fields)
        if not isinstance(data["field"], str) or data["field"] not in fields:
            raise fail(400, f"field: one of {', '.join(fields)}")
        out["field"] = data["field"]
    if "summary" in data:
        out["summary"] = _text(data, "summary", MAX_TEXT)
    for name, size in (("caller_name", 128), ("address", 255)):
        if name in data:
            out[name] = _text(data, name, size) or None
    if "area" in data:
        out["area"] = _code(data, "area", [a.key for a in site.areas])
    if "outcome" in data:
        out["outcome"] = _code(data, "outcome", [o.key for o in site.desk.outcomes])
    if "priority" in data:
        priority = data["priority"]
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 5:
            raise fail(400, "priority: a whole number 1 (urgent) to 5")
        out["priority"] = priority
    if "status" in data:
        if not isinstance(data["status"], str) or data["status"] not in CASE_STATUSES:
            raise fail(400, f"status: one of {', '.join(CASE_STATUSES)}")
        out["status"] = data["status"]
    if "reply_by" in data:
        if data["reply_by"] not in REPLY_WAYS:
            raise fail(400, f"reply_by: one of {', '.join(REPLY_WAYS)}", code="bad_reply_by")
        out["reply_by"] = data["reply_by"]
    if "map_point" in data:
        value = data["map_point"]
        try:
            if value is not None and (not isinstance(value, str) or len(value) > 64):
                raise ValueError("text")
            out["map_point"] = map_point(value or "")
        except ValueError:
            raise fail(400, "map_point: latitude, longitude in decimal degrees (e.g. 16.0678, 108.2208)",
                       code="bad_map_point") from None
    return out


def decide(current: dict[str, Any], changes: dict[str, Any], required: tuple[str, ...]) -> tuple[dict[str, Any],
                                                                                                list[str]]:
    """What a save really changes (the keys whose value differs from the stored ticket's) and which
    required entry fields would be empty after it, in the order the site lists them."""
    real = {k: v for k, v in changes.items() if (current.get(k) or None) != (v or None)}
    after = {**current, **real}
    return real, [name for name in required if not str(after.get(name) or "").strip()]


@allow(*READERS)
async def list_tickets(request: web.Request) -> web.Response:
    c = console(request)
    return web.json_response(await asyncio.to_thread(search, c.db, c.site, request[USER], dict(request.query)))


async def _told(request: web.Request, code: str) -> dict[str, Any]:
    """The ticket as its page shows it: the IVR path and each event as a sentence in the reader's language."""
    c = console(request)
    record = await asyncio.to_thread(load, c.db, request[USER], code)
    return describe_ticket(record, c.site, language_of(request))


@allow(*READERS)
async def get_ticket(request: web.Request) -> web.Response:
    return web.json_response(await _told(request, request.match_info["code"]))


@allow(*EDITORS)
async def patch_ticket(request: web.Request) -> web.Response:
    """A save: only what differs from the ticket is written; nothing differing answers
    `unchanged`; a save leaving a required entry field empty is refused with the `missing` list."""
    c, user, code = console(request), request[USER], request.match_info["code"]
    changes = _changes(await body(request), c.site)
    current = await asyncio.to_thread(load, c.db, user, code)  # 404 / 403 first
    real, missing = decide(current, changes, c.site.desk.required_for(current.get("kind")))
    if not real:
        return web.json_response({**await _told(request, code), "unchanged": True})
    if missing:
        words = catalog(language_of(request), c.site)
        names = ", ".join(words.get(f"story.entry.{m}", m) for m in missing)
        raise fail(400, words.get("ticket.missing", "Not saved: fill in {fields}").replace("{fields}", names),
                   missing=missing)
    await asyncio.to_thread(stored.edit, c.db, code, user.username, real)
    return web.json_response({**await _told(request, code), "unchanged": False})


@allow(*EDITORS)
async def add_note(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], request.match_info["code"]
    text = (await body(request)).get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise fail(400, f"text: a note of 1-{MAX_TEXT} characters")
    await asyncio.to_thread(load, c.db, user, code)
    await asyncio.to_thread(stored.add_note, c.db, code, user.username, text.strip())
    return web.json_response(await _told(request, code), status=201)


@allow(*READERS)
async def export_ticket(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], request.match_info["code"]
    record = await asyncio.to_thread(load, c.db, user, code)
    await asyncio.to_thread(store.add_audit, c.db, user.username, "export", code, None, {"via": "console"})
    record["exported_at"] = utcnow().isoformat() + "Z"
    record["exported_by"] = user.username
    return web.json_response(record, dumps=lambda d: json.dumps(d, ensure_ascii=False, indent=1),
                             headers={"Content-Disposition": f'attachment; filename="{code}.json"'})


def _recording(db: Database, user: UserView, rec_id: int) -> stored.PlayableRecording:
    try:
        return stored.playable_recording(db, rec_id, user.role, user.extension)
    except NoSuchRecording as e:
        raise fail(404, str(e)) from None
    except NotYourTicket as e:
        raise fail(403, str(e)) from None


@allow(*READERS)
async def play_recording(request: web.Request) -> web.StreamResponse:
    c, user = console(request), request[USER]
    rec_id = ident(request, what="recording id")
    rec = await asyncio.to_thread(_recording, c.db, user, rec_id)
    path = c.site.paths.recordings / rec.path
    if rec.status == "purged" or not path.is_file():
        raise fail(404, f"recording {rec_id} is no longer stored ({rec.status})")
    await asyncio.to_thread(store.add_audit, c.db, user.username, "playback", rec.ticket, None,
                            {"recording": rec_id, "kind": rec.kind})
    return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/tickets", list_tickets), web.get("/api/tickets/{code}", get_ticket),
            web.patch("/api/tickets/{code}", patch_ticket), web.post("/api/tickets/{code}/notes", add_note),
            web.get("/api/tickets/{code}/export", export_ticket),
            web.get("/api/recordings/{id}/audio", play_recording)]
