"""Web administration for admins: users, agents and their skills, pause reasons; every change audited.

Routes under /api/admin/ (admin only). Refusals are 400 with {"error": message, "code": name, ...}:
the page shows `admin.err.<code>` from the catalog (the message when it has none).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from acd import desk as agents
from db import store
from db.queries import agencies as stored_agencies
from db.queries import agents as agent_books
from db.queries import audit, pause_reasons
from web import accounts, language
from web.context import USER, console
from web.guard import allow, body, fail

T = TypeVar("T")
ADMIN_ACTIONS = ("user_add", "user_disable", "user_enable", "password_reset", "user_role", "user_name",
                 "agent_add", "agent_name", "agent_skills", "pause_reason")
REFUSALS = (accounts.AccountError, agents.DeskError, pause_reasons.PauseReasonError)


def _refused(e: Exception) -> web.HTTPException:
    return fail(400, str(e), code=getattr(e, "code", ""), **getattr(e, "values", {}))


async def _do(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking operation in a thread; its refusals become 400s people can read."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except REFUSALS as e:
        raise _refused(e) from None


async def _audit(request: web.Request, action: str, target: str, detail: dict[str, Any]) -> None:
    await asyncio.to_thread(store.add_audit, console(request).db, request[USER].username, action, target, None,
                            detail or None)


async def _fields(request: web.Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    data = await body(request)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise fail(400, f"unknown key {unknown[0]!r}: send {', '.join(allowed)}", code="unknown_key")
    return data


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise fail(400, f"{key}: text", code="bad_value")
    return str(value).strip()


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


# ---- users ----

@allow()
async def list_users(request: web.Request) -> web.Response:
    found = await asyncio.to_thread(accounts.every_account, console(request).db)
    agencies = await asyncio.to_thread(stored_agencies.every, console(request).db, True)
    return web.json_response({"users": [a.as_dict() for a in found], "roles": list(accounts.ROLES),
                              "agencies": [{"key": a.key, "name": a.name} for a in agencies],
                              "needs_extension": list(accounts.NEEDS_EXTENSION), "me": request[USER].username,
                              "min_password": accounts.MIN_PASSWORD})


@allow()
async def add_user(request: web.Request) -> web.Response:
    data = await _fields(request, ("username", "name", "role", "extension", "password", "agency"))
    username, role = _text(data, "username") or "", _text(data, "role") or ""
    user = await _do(accounts.add_user, console(request).db, username, role, str(data.get("password") or ""),
                     _text(data, "extension") or None, _text(data, "name") or None,
                     (_text(data, "agency") or None) if role == "agency" else None)
    await _audit(request, "user_add", user.username, {"role": user.role, "extension": user.extension,
                                                      "name": user.name, "agency": user.agency})
    return web.json_response(user.as_dict(), status=201)


@allow()
async def change_user(request: web.Request) -> web.Response:
    data = await _fields(request, ("name", "role", "extension", "disabled", "agency"))
    username = request.match_info["username"]
    disabled = data.get("disabled")
    if disabled is not None and not isinstance(disabled, bool):
        raise fail(400, "disabled: true or false", code="bad_value")
    before, after = await _do(accounts.change_user, console(request).db, request[USER].username, username,
                              name=_text(data, "name"), role=_text(data, "role") or None,
                              extension=_text(data, "extension") or None, set_extension="extension" in data,
                              disabled=disabled, agency=_text(data, "agency") or None, set_agency="agency" in data)
    if before.disabled != after.disabled:
        await _audit(request, "user_disable" if after.disabled else "user_enable", username, {})
    b, a = before.user.as_dict(), after.user.as_dict()
    keys = ("role", "extension", "agency")
    role = _changes({k: b[k] for k in keys}, {k: a[k] for k in keys})
    if role:
        await _audit(request, "user_role", username, role)
    if b["name"] != a["name"]:
        await _audit(request, "user_name", username, {"name": [b["name"], a["name"]]})
    return web.json_response(after.as_dict())


@allow()
async def reset_password(request: web.Request) -> web.Response:
    data = await _fields(request, ("password",))
    username = request.match_info["username"]
    await _do(accounts.set_password, console(request).db, username, str(data.get("password") or ""))
    await _audit(request, "password_reset", username, {})
    return web.json_response({"username": username, "sessions_ended": True})


# ---- agents ----

def _skills(data: dict[str, Any]) -> dict[str, int] | None:
    skills = data.get("skills")
    if skills is None:
        return None
    if not isinstance(skills, dict) or not all(isinstance(v, int) and not isinstance(v, bool)
                                               for v in skills.values()):
        raise fail(400, "skills: {queue: penalty 0-9}", code="penalty_range")
    return {str(k): int(v) for k, v in skills.items()}


def _agent_rows(c: Any) -> list[dict[str, Any]]:
    states = agent_books.current_states(c.db)
    out = []
    for a in agent_books.every(c.db):
        state, reason = states.get(a.extension, ("logged_out", None)) if a.seat else ("logged_out", None)
        out.append({"extension": a.extension, "name": a.name, "skills": a.skills, "seat": a.seat,
                    "state": state, "reason": reason if state == "paused" else None})
    return out


@allow()
async def list_agents(request: web.Request) -> web.Response:
    c = console(request)
    rows = await asyncio.to_thread(_agent_rows, c)
    return web.json_response({"agents": rows, "queues": [q.name for q in c.site.queues],
                              "max_penalty": agents.MAX_PENALTY})


@allow()
async def add_agent(request: web.Request) -> web.Response:
    c = console(request)
    data = await _fields(request, ("extension", "name", "pin", "skills"))
    extension, name = _text(data, "extension") or "", _text(data, "name") or ""
    skills = _skills(data)
    if skills is None:
        skills = {q.name: 0 for q in c.site.queues}
    await _do(agents.add_agent, c.site, c.db, extension, name, _text(data, "pin") or "", skills)
    await _audit(request, "agent_add", extension, {"name": " ".join(name.split()), "skills": skills})
    return web.json_response({"extension": extension}, status=201)


@allow()
async def change_agent(request: web.Request) -> web.Response:
    c = console(request)
    data = await _fields(request, ("name", "skills"))
    extension = request.match_info["extension"]
    before, after = await _do(agents.change_agent, c.site, c.db, extension, _text(data, "name"), _skills(data))
    if before.name != after.name:
        await _audit(request, "agent_name", extension, {"name": [before.name, after.name]})
    if before.skills != after.skills:
        await _audit(request, "agent_skills", extension, {"skills": [before.skills, after.skills],
                                                          "logged_in": bool(after.seat)})
    return web.json_response({"extension": extension, "name": after.name, "skills": after.skills,
                              "at_next_login": bool(after.seat) and before.skills != after.skills})


# ---- pause reasons ----

@allow()
async def list_reasons(request: web.Request) -> web.Response:
    found = await asyncio.to_thread(pause_reasons.reasons, console(request).db, False)
    return web.json_response({"reasons": [r.as_dict() for r in found]})


@allow()
async def add_reason(request: web.Request) -> web.Response:
    db = console(request).db
    data = await _fields(request, ("digit", "key", "vi", "en"))
    made = await _do(pause_reasons.add_reason, db, _text(data, "digit") or "", _text(data, "key") or "",
                     _text(data, "vi") or "", _text(data, "en") or "")
    await _audit(request, "pause_reason", made.digit, {"added": made.key, "vi": made.vi, "en": made.en})
    await language.load_reasons(db)
    return web.json_response(made.as_dict(), status=201)


@allow()
async def change_reason(request: web.Request) -> web.Response:
    db = console(request).db
    data = await _fields(request, ("vi", "en", "active"))
    active = data.get("active")
    if active is not None and not isinstance(active, bool):
        raise fail(400, "active: true or false", code="bad_value")
    before, after = await _do(pause_reasons.change_reason, db, request.match_info["digit"], _text(data, "vi"),
                              _text(data, "en"), active)
    changed = _changes(before.as_dict(), after.as_dict())
    if changed:
        await _audit(request, "pause_reason", after.digit, {"key": after.key, **changed})
        await language.load_reasons(db)
    return web.json_response(after.as_dict())


# ---- the audit trail ----

@allow()
async def recent_audit(request: web.Request) -> web.Response:
    text = request.query.get("limit", "100")
    if not text.isdigit() or len(text) > 4:
        raise fail(400, "limit: a whole number", code="bad_value")
    rows = await asyncio.to_thread(audit.recent, console(request).db, ADMIN_ACTIONS, max(1, min(int(text), 500)))
    return web.json_response({"audit": [r.as_dict() for r in rows]})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/admin/users", list_users), web.post("/api/admin/users", add_user),
            web.patch("/api/admin/users/{username}", change_user),
            web.post("/api/admin/users/{username}/password", reset_password),
            web.get("/api/admin/agents", list_agents), web.post("/api/admin/agents", add_agent),
            web.patch("/api/admin/agents/{extension}", change_agent),
            web.get("/api/admin/pause-reasons", list_reasons), web.post("/api/admin/pause-reasons", add_reason),
            web.patch("/api/admin/pause-reasons/{digit}", change_reason),
            web.get("/api/admin/audit", recent_audit)]
