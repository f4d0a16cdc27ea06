"""The agency's side of the console: its assignments (its own agency's only; a caller's number or
the call's recording only when 1022 shared it for that assignment, 403 otherwise), acknowledge,
answer with attachments, reject, ask for more time, its statistics, and the one-time link
(/a/{token}) that opens one assignment without a password.

A link's session is an agency user limited to one assignment (`UserView.assignment`); an
account of role agency sees every assignment of its agency. Attachments are checked (PDF or
image by their bytes, size, count) before anything is written, and stored under the site's
data folder, served only to their agency. Errors carry `code` (agency.err_*) for the page.
"""
from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import BodyPartReader, web

from agencies import forwarding as rules
from db import store
from db.clock import utcnow
from db.queries import agency_links as links
from db.queries import agency_shares as shares
from db.queries import agency_work as work
from db.queries.accounts import UserView
from web import accounts
from web.context import USER, console
from web.guard import SESSION_COOKIE, allow, body, fail, ident
from web.language import catalog, language_of
from web.pages import redirect, render

MAX_FILE = 5 * 1024 * 1024
MAX_FILES = 5
MAX_TEXT = 4000
# what a file's first bytes must be (its name and the browser's type are not believed)
MAGIC = (("application/pdf", b"%PDF-", ".pdf"), ("image/png", b"\x89PNG\r\n\x1a\n", ".png"),
         ("image/jpeg", b"\xff\xd8\xff", ".jpg"), ("image/gif", b"GIF8", ".gif"))
STATUS = {"not_found": 404, "other_agency": 403, "wrong_state": 409, "invalid": 400, "not_shared": 403,
          "no_recording": 404, "no_number": 404}


def _say(request: web.Request, status: int, key: str, **values: Any) -> web.HTTPException:
    words = catalog(language_of(request), console(request).site)
    text = words.get(f"agency.err_{key}", key)
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return fail(status, text, code=f"agency.err_{key}")


def _refused(request: web.Request, e: work.AgencyWorkError) -> web.HTTPException:
    return _say(request, STATUS.get(e.code, 400), e.code)


def _agency(request: web.Request) -> UserView:
    """The agency user; refused without a valid agency key (an admin may look at one with ?agency=)."""
    user = request[USER]
    if user.role == "admin":
        key = request.query.get("agency", "")
        return UserView(user.id, user.username, user.name, "agency", None, user.language, key or None)
    if not user.agency:
        raise _say(request, 403, "no_agency")
    return user


def _scope(request: web.Request, user: UserView, assignment_id: int) -> None:
    """A link's session opens its one assignment only."""
    if user.assignment is not None and user.assignment != assignment_id:
        raise _say(request, 403, "other_agency")


async def _check_agency(request: web.Request, user: UserView) -> None:
    if not user.agency and request[USER].role == "admin":
        return  # an admin looking without ?agency=: nothing to show, not an error
    if not user.agency or not await asyncio.to_thread(accounts.valid_agency, console(request).db, user.agency):
        raise _say(request, 403, "no_agency")


@allow("agency")
async def list_assignments(request: web.Request) -> web.Response:
    user = _agency(request)
    await _check_agency(request, user)
    db, now = console(request).db, utcnow()
    if user.assignment is not None:
        found = [await asyncio.to_thread(work.assignment, db, user.agency or "", user.assignment)]
    else:
        found = await asyncio.to_thread(work.assignments, db, user.agency or "")
    return web.json_response({"agency": user.agency, "single": user.assignment is not None,
                              "assignments": [a.as_dict(now) for a in found]})


async def _one(request: web.Request) -> tuple[UserView, int]:
    user = _agency(request)
    await _check_agency(request, user)
    aid = ident(request, what="assignment id")
    _scope(request, user, aid)
    return user, aid


@allow("agency")
async def get_assignment(request: web.Request) -> web.Response:
    user, aid = await _one(request)
    try:
        found = await asyncio.to_thread(work.assignment, console(request).db, user.agency or "", aid)
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    return web.json_response(found.as_dict(utcnow()))


async def _audit(request: web.Request, user: UserView, action: str, aid: int, detail: dict[str, Any]) -> None:
    via = {"via": "link"} if user.assignment is not None else {}
    await asyncio.to_thread(store.add_audit, console(request).db, user.username, action, f"assignment:{aid}", None,
                            {"agency": user.agency, **via, **detail})


@allow("agency")
async def acknowledge(request: web.Request) -> web.Response:
    user, aid = await _one(request)
    try:
        await asyncio.to_thread(work.acknowledge, console(request).db, user.agency or "", aid, user.username,
                                utcnow())
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    await _audit(request, user, "agency_acknowledge", aid, {})
    return web.json_response({"ok": True})


@allow("agency")
async def reject(request: web.Request) -> web.Response:
    user, aid = await _one(request)
    data = await body(request)
    try:
        await asyncio.to_thread(work.reject, console(request).db, user.agency or "", aid, user.username,
                                str(data.get("reason", "")), str(data.get("suggested_agency") or ""), utcnow())
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    await _audit(request, user, "agency_reject", aid, {"suggested_agency": data.get("suggested_agency")})
    return web.json_response({"ok": True})


def _until(request: web.Request, text: str) -> datetime | None:
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _say(request, 400, "until") from None
    if t.tzinfo is None:  # the form's datetime-local: the site's time
        t = t.replace(tzinfo=ZoneInfo(console(request).site.timezone))
    return t.astimezone(UTC).replace(tzinfo=None)


@allow("agency")
async def extension(request: web.Request) -> web.Response:
    user, aid = await _one(request)
    data = await body(request)
    until = _until(request, str(data.get("until") or ""))
    try:
        await asyncio.to_thread(work.request_extension, console(request).db, user.agency or "", aid, user.username,
                                str(data.get("reason", "")), until, utcnow())
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    await _audit(request, user, "agency_extension", aid, {})
    return web.json_response({"ok": True})


def _kind(data: bytes) -> tuple[str, str] | None:
    for content_type, magic, ext in MAGIC:
        if data.startswith(magic):
            return content_type, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


async def _read_answer(request: web.Request) -> tuple[str, list[tuple[str, str, str, bytes]]]:
    """The answer's text and files (name, type, extension, bytes), all checked: a file too big,
    of the wrong type, or one too many refuses the whole answer before anything is written."""
    if not request.content_type.startswith("multipart/"):
        data = await body(request)
        return str(data.get("text", "")), []
    text, files = "", []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise _say(request, 400, "form")
        if part.name == "text":
            raw = await part.read(decode=False)
            if len(raw) > MAX_TEXT * 4:
                raise _say(request, 400, "text_long", n=MAX_TEXT)
            text = raw.decode("utf-8", errors="replace")
        elif part.name == "files":
            name = Path((part.filename or "").replace("\\", "/")).name[:200] or "file"
            data = bytearray()
            while chunk := await part.read_chunk(64 * 1024):
                data += chunk
                if len(data) > MAX_FILE:
                    raise _say(request, 400, "file_big", file=name, mb=MAX_FILE // (1024 * 1024))
            if not data and not part.filename:
                continue  # an empty file input
            kind = _kind(bytes(data))
            if kind is None:
                raise _say(request, 400, "file_type", file=name)
            files.append((name, kind[0], kind[1], bytes(data)))
            if len(files) > MAX_FILES:
                raise _say(request, 400, "file_count", n=MAX_FILES)
        else:
            await part.release()
    return text, files


def _store(folder: Path, aid: int, files: list[tuple[str, str, str, bytes]]) -> list[work.NewAttachment]:
    out = []
    (folder / str(aid)).mkdir(parents=True, exist_ok=True)
    for name, content_type, ext, data in files:
        relative = f"{aid}/{secrets.token_hex(12)}{ext}"  # never the sender's name on disk
        (folder / relative).write_bytes(data)
        out.append(work.NewAttachment(name, content_type, len(data), hashlib.sha256(data).hexdigest(), relative))
    return out


def _ticket_status(pairs: list[tuple[str, str | None]]) -> str | None:
    return rules.ticket_status([rules.AssignmentState(p, r) for p, r in pairs])


@allow("agency")
async def answer(request: web.Request) -> web.Response:
    user, aid = await _one(request)
    text, files = await _read_answer(request)
    if not text.strip():
        raise _say(request, 400, "text_empty")
    if len(text) > MAX_TEXT:
        raise _say(request, 400, "text_long", n=MAX_TEXT)
    c = console(request)
    try:  # the assignment checked before a byte is written
        await asyncio.to_thread(work.assignment, c.db, user.agency or "", aid)
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    folder = c.site.paths.data / "attachments"
    stored = await asyncio.to_thread(_store, folder, aid, files)
    try:
        await asyncio.to_thread(work.answer, c.db, user.agency or "", aid, user.username, text, stored, utcnow(),
                                _ticket_status)
    except BaseException as e:
        for f in stored:  # the answer refused (or failed): its files go too
            (folder / f.path).unlink(missing_ok=True)
        if isinstance(e, work.AgencyWorkError):
            raise _refused(request, e) from None
        raise
    await _audit(request, user, "agency_answer", aid, {"files": [f.filename for f in stored]})
    return web.json_response({"ok": True}, status=201)


@allow("agency")
async def download(request: web.Request) -> web.StreamResponse:
    user, aid = await _one(request)
    c = console(request)
    try:
        found = await asyncio.to_thread(work.attachment, c.db, user.agency or "", aid,
                                        ident(request, "file", "attachment id"))
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    return web.FileResponse(c.site.paths.data / "attachments" / found.path, headers={
        "Content-Type": found.content_type,
        "Content-Disposition": "attachment; filename*=UTF-8''" + quote(found.filename, safe="")})


@allow("agency")
async def recording(request: web.Request) -> web.StreamResponse:
    """The call's recording, once 1022 shared it with this agency for this assignment; audited."""
    user, aid = await _one(request)
    c = console(request)
    try:
        rec = await asyncio.to_thread(shares.shared_recording, c.db, user.agency or "", aid)
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    path = c.site.paths.recordings / rec.path
    if not path.is_file():
        raise _say(request, 404, "no_recording")
    await _audit(request, user, "agency_playback", aid, {"recording": rec.id, "kind": rec.kind})
    return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"})


@allow("agency")
async def caller(request: web.Request) -> web.Response:
    """The caller's number, once 1022 shared it with this agency for this assignment; audited."""
    user, aid = await _one(request)
    try:
        number = await asyncio.to_thread(shares.shared_caller, console(request).db, user.agency or "", aid)
    except work.AgencyWorkError as e:
        raise _refused(request, e) from None
    await _audit(request, user, "agency_caller_number", aid, {})
    return web.json_response({"number": number})


@allow("agency")
async def stats(request: web.Request) -> web.Response:
    user = _agency(request)
    await _check_agency(request, user)
    if user.assignment is not None:
        raise _say(request, 403, "link_only")
    counts = await asyncio.to_thread(work.stats, console(request).db, user.agency or "", utcnow())
    return web.json_response({"agency": user.agency, **counts})


async def one_time_link(request: web.Request) -> web.StreamResponse:
    """A one-time link: spent once, it opens its assignment for a short session; expired, reused or
    unknown, a page says so. Every use is audited."""
    c, token = console(request), request.match_info["token"]
    try:
        use = await asyncio.to_thread(links.use_link, c.db, token[:100], utcnow())
    except links.LinkError as e:
        aid = await asyncio.to_thread(links.link_assignment, c.db, token[:100])
        await asyncio.to_thread(store.add_audit, c.db, "one-time link", "agency_link_refused",
                                f"assignment:{aid}" if aid else None, None,
                                {"why": e.code, "from": request.remote})
        heading = {"link_used": "Link already used", "link_expired": "Link expired"}.get(e.code, "Link not valid")
        return render("error", request, status=410 if aid else 404, title=heading,
                      text="Ask the 1022 hotline for a new link, or log in with your account.")
    session = await asyncio.to_thread(accounts.open_link_session, c.db, use)
    await asyncio.to_thread(store.add_audit, c.db, "one-time link", "agency_link_used",
                            f"assignment:{use.assignment_id}", None,
                            {"agency": use.agency, "contact": use.contact_id, "from": request.remote})
    response = redirect(f"/agency#{use.assignment_id}")
    response.set_cookie(SESSION_COOKIE, session, max_age=accounts.LINK_SESSION_HOURS * 3600, httponly=True,
                        samesite="Lax", secure=request.secure or c.site.web.behind_tls_proxy, path="/")
    return response


def routes() -> list[web.RouteDef]:
    base = "/api/agency/assignments"
    return [web.get(base, list_assignments), web.get(base + "/{id}", get_assignment),
            web.post(base + "/{id}/acknowledge", acknowledge), web.post(base + "/{id}/answer", answer),
            web.post(base + "/{id}/reject", reject), web.post(base + "/{id}/extension", extension),
            web.get(base + "/{id}/files/{file}", download), web.get(base + "/{id}/recording", recording),
            web.get(base + "/{id}/caller", caller), web.get("/api/agency/stats", stats),
            web.get("/a/{token}", one_time_link)]
