"""Tickets in the console: search, detail with timeline, edits and notes, one-click export,
and recording playback (every playback and export is audited).

Who sees what: supervisors, leaders and admins every ticket; an agent only the tickets of
calls they answered; a callback worker the tickets that have a callback. Leaders only read.
"""
from __future__ import annotations

import asyncio
import json
from datetime import date, datetime

from aiohttp import web
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from acd.stats import day_bounds
from db import store
from db.models import CASE_STATUSES, TICKET_STATUSES, Call, Callback, Recording, Ticket, TicketEvent
from db.writer import utcnow
from web.accounts import UserView
from web.context import USER, console
from web.guard import allow, body, fail, ident

READERS = ("agent", "supervisor", "callback", "leader")
EDITORS = ("agent", "supervisor", "callback")
MAX_TEXT = 4000


def scope(user: UserView):
    """The SQL condition limiting tickets to what this user may see (None: all)."""
    if user.role == "agent":
        return Ticket.agent == user.extension
    if user.role == "callback":
        return Ticket.id.in_(select(Callback.ticket_id))
    return None


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(400, f"{name}: a date YYYY-MM-DD") from None


def search(db: Engine, tz: str, user: UserView, q: dict) -> list[dict]:
    stmt = select(Ticket, Call).outerjoin(Call, Ticket.call_id == Call.id).order_by(Ticket.id.desc())
    where = scope(user)
    if where is not None:
        stmt = stmt.where(where)
    if q.get("code"):
        stmt = stmt.where(Ticket.code.contains(q["code"].strip()))
    if q.get("number"):
        stmt = stmt.where(Call.caller_number.contains(q["number"].strip()))
    if q.get("field"):
        stmt = stmt.where(Ticket.field == q["field"])
    if q.get("status"):
        if q["status"] not in TICKET_STATUSES + CASE_STATUSES:
            raise fail(400, f"status: one of {', '.join(TICKET_STATUSES + CASE_STATUSES)}")
        stmt = stmt.where(Ticket.status == q["status"])
    if q.get("from"):
        stmt = stmt.where(Ticket.created_at >= day_bounds(_day(q["from"], "from"), tz)[0])
    if q.get("to"):
        stmt = stmt.where(Ticket.created_at < day_bounds(_day(q["to"], "to"), tz)[1])
    text = str(q.get("limit", "100"))
    if not text.isdigit():
        raise fail(400, "limit: a whole number (1 to 1000)")
    limit = 1000 if len(text) > 4 else min(max(int(text), 1), 1000)
    with Session(db) as s:
        rows = s.execute(stmt.limit(limit)).all()
    return [{"code": t.code, "created_at": t.created_at.isoformat() + "Z", "caller_number": c.caller_number if c else None,
             "kind": t.kind, "field": t.field, "status": t.status, "queue": t.queue, "agent": t.agent,
             "priority": t.priority, "summary": (t.summary or "")[:120]} for t, c in rows]


def load(db: Engine, user: UserView, code: str) -> dict:
    """The whole record of one ticket, if this user may see it."""
    with Session(db) as s:
        t = s.scalar(select(Ticket).options(selectinload(Ticket.events), selectinload(Ticket.call))
                     .where(Ticket.code == code))
        if t is None:
            raise fail(404, f"no ticket {code}")
        where = scope(user)
        if where is not None and not s.scalar(select(Ticket.id).where(Ticket.id == t.id, where)):
            raise fail(403, f"ticket {code} is not yours")
        out = store.as_dict(t)
        out.update(summary=t.summary, priority=t.priority, created_at=out["created_at"] + "Z")
        out["recordings"] = [{"id": r.id, "kind": r.kind, "duration_s": r.duration_s, "status": r.status,
                              "flag": r.flag, "url": f"/api/recordings/{r.id}/audio"}
                             for r in s.scalars(select(Recording).where(Recording.ticket_id == t.id))]
        out["callbacks"] = [{"id": c.id, "state": c.state, "outcome": c.outcome, "attempts": c.attempts,
                             "due_at": c.due_at.isoformat() + "Z", "claimed_by": c.claimed_by}
                            for c in s.scalars(select(Callback).where(Callback.ticket_id == t.id))]
        out["earlier"] = _earlier(s, user, t)
        out["notes"] = [{"at": e["at"], **(e["detail"] or {})} for e in out["events"] if e["kind"] == "note"]
    out["can_edit"] = user.role in EDITORS + ("admin",)
    return out


def _earlier(s: Session, user: UserView, t: Ticket) -> list[dict]:
    """The caller's other tickets: code, date, field, status for all; the summary only of those the
    viewer may open themselves (an agent sees another agent's ticket exists, not what it says)."""
    if not (t.call and t.call.caller_number):
        return []
    rows = s.execute(select(Ticket.id, Ticket.code, Ticket.created_at, Ticket.field, Ticket.status, Ticket.summary)
                     .join(Call).where(Call.caller_number == t.call.caller_number, Ticket.id != t.id)
                     .order_by(Ticket.id.desc()).limit(10)).all()
    where = scope(user)
    mine = {r.id for r in rows} if where is None else set(
        s.scalars(select(Ticket.id).where(Ticket.id.in_([r.id for r in rows]), where)))
    return [{"code": e.code, "created_at": e.created_at.isoformat() + "Z", "field": e.field, "status": e.status,
             **({"summary": (e.summary or "")[:120]} if e.id in mine else {})} for e in rows]


def _changes(data: dict, fields: set[str]) -> dict:
    allowed = {"field", "summary", "priority", "status"}
    unknown = set(data) - allowed - {"csrf"}
    if unknown:
        raise fail(400, f"unknown key(s): {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}")
    out: dict = {}
    if "field" in data:
        if not isinstance(data["field"], str) or data["field"] not in fields:
            raise fail(400, f"field: one of {', '.join(sorted(fields))}")
        out["field"] = data["field"]
    if "summary" in data:
        if not isinstance(data["summary"], str) or len(data["summary"]) > MAX_TEXT:
            raise fail(400, f"summary: text up to {MAX_TEXT} characters")
        out["summary"] = data["summary"].strip()
    if "priority" in data:
        if not isinstance(data["priority"], int) or isinstance(data["priority"], bool) or not 1 <= data["priority"] <= 5:
            raise fail(400, "priority: a whole number 1 (urgent) to 5")
        out["priority"] = data["priority"]
    if "status" in data:
        if not isinstance(data["status"], str) or data["status"] not in CASE_STATUSES:
            raise fail(400, f"status: one of {', '.join(CASE_STATUSES)}")
        out["status"] = data["status"]
    return out


def _write(db: Engine, code: str, by: str, changes: dict | None, note: str | None) -> None:
    with Session(db) as s, s.begin():
        t = s.scalar(select(Ticket).where(Ticket.code == code))
        if changes:
            for k, v in changes.items():
                setattr(t, k, v)
            s.add(TicketEvent(ticket_id=t.id, at=utcnow(), kind="edit",
                              detail=json.dumps({"by": by, **changes}, ensure_ascii=False)))
        if note:
            s.add(TicketEvent(ticket_id=t.id, at=utcnow(), kind="note",
                              detail=json.dumps({"by": by, "text": note}, ensure_ascii=False)))


@allow(*READERS)
async def list_tickets(request: web.Request) -> web.Response:
    c = console(request)
    rows = await asyncio.to_thread(search, c.db, c.site.timezone, request[USER], dict(request.query))
    return web.json_response({"tickets": rows})


@allow(*READERS)
async def get_ticket(request: web.Request) -> web.Response:
    return web.json_response(await asyncio.to_thread(load, console(request).db, request[USER],
                                                     request.match_info["code"]))


@allow(*EDITORS)
async def patch_ticket(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], request.match_info["code"]
    changes = _changes(await body(request), {f.key for f in c.site.fields})
    await asyncio.to_thread(load, c.db, user, code)  # 404 / 403 first
    await asyncio.to_thread(_write, c.db, code, user.username, changes, None)
    return web.json_response(await asyncio.to_thread(load, c.db, user, code))


@allow(*EDITORS)
async def add_note(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], request.match_info["code"]
    text = (await body(request)).get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise fail(400, f"text: a note of 1-{MAX_TEXT} characters")
    await asyncio.to_thread(load, c.db, user, code)
    await asyncio.to_thread(_write, c.db, code, user.username, None, text.strip())
    return web.json_response(await asyncio.to_thread(load, c.db, user, code), status=201)


@allow(*READERS)
async def export_ticket(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], request.match_info["code"]
    record = await asyncio.to_thread(load, c.db, user, code)
    await asyncio.to_thread(store.add_audit, c.db, user.username, "export", code, None, {"via": "console"})
    record["exported_at"] = datetime.utcnow().isoformat() + "Z"
    record["exported_by"] = user.username
    return web.json_response(record, dumps=lambda d: json.dumps(d, ensure_ascii=False, indent=1),
                             headers={"Content-Disposition": f'attachment; filename="{code}.json"'})


def _recording(db: Engine, user: UserView, rec_id: int) -> tuple[Recording, str]:
    with Session(db) as s:
        rec = s.get(Recording, rec_id)
        if rec is None:
            raise fail(404, f"no recording {rec_id}")
        code = s.scalar(select(Ticket.code).where(Ticket.id == rec.ticket_id))
    load(db, user, code)  # 403 unless the user may see the ticket
    return rec, code


@allow(*READERS)
async def play_recording(request: web.Request) -> web.StreamResponse:
    c, user = console(request), request[USER]
    rec_id = ident(request, what="recording id")
    rec, code = await asyncio.to_thread(_recording, c.db, user, rec_id)
    path = c.site.paths.recordings / rec.path
    if rec.status == "purged" or not path.is_file():
        raise fail(404, f"recording {rec_id} is no longer stored ({rec.status})")
    await asyncio.to_thread(store.add_audit, c.db, user.username, "playback", code, None,
                            {"recording": rec_id, "kind": rec.kind})
    return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/tickets", list_tickets), web.get("/api/tickets/{code}", get_ticket),
            web.patch("/api/tickets/{code}", patch_ticket), web.post("/api/tickets/{code}/notes", add_note),
            web.get("/api/tickets/{code}/export", export_ticket),
            web.get("/api/recordings/{id}/audio", play_recording)]
