"""Who may do what: sessions from the cookie, role checks, CSRF, login rate limits, headers.

Every route is wrapped by `allow(*roles)` (admin may do everything). Requests that change
something (POST/PATCH/PUT/DELETE) must carry the session's CSRF token in `X-CSRF-Token` or a
`csrf` form field. Without a session, /api and /ws answer 401 and pages redirect to /login.
"""
from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import time
from collections import defaultdict, deque
from urllib.parse import parse_qsl, quote

from aiohttp import web

from db.types import DatabaseUnavailable
from web import accounts
from web.context import CSRF, TOKEN, USER, console

log = logging.getLogger("tongdai.web")
SESSION_COOKIE = "td_session"
PUBLIC = ("/login", "/lang", "/i18n/", "/static/", "/healthz", "/api/openapi.json",
          "/a/")  # a one-time link (web/agency.py): it is its own proof
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
BODY = web.RequestKey("body", dict)  # the parsed body, read once


def fail(status: int, message: str, **extra) -> web.HTTPException:
    """A JSON error the pages show as it is."""
    cls = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
           409: web.HTTPConflict, 413: web.HTTPRequestEntityTooLarge, 429: web.HTTPTooManyRequests,
           502: web.HTTPBadGateway}[status]
    kwargs = {"max_size": 0, "actual_size": 0} if status == 413 else {}
    return cls(text=json.dumps({"error": message, **extra}, ensure_ascii=False), content_type="application/json",
               **kwargs)


def allow(*roles: str):
    """Only these roles (and admin) may use the route."""
    def wrap(handler):
        @functools.wraps(handler)
        async def checked(request: web.Request):
            user = request.get(USER)
            if user is None:
                raise fail(401, "log in first")
            if user.role != "admin" and user.role not in roles:
                raise fail(403, f"not allowed for role {user.role}")
            return await handler(request)
        checked.roles = roles
        return checked
    return wrap


MAX_ID = 2**63 - 1  # ids are SQL BIGINTs: anything past that is a bad request, not a crash


class RateLimiter:
    """At most `limit` login attempts per key in `window` seconds, counted *before* the password
    is checked, so a concurrent burst counts in full. Keys carry their own limits: the caller
    passes (key, limit) pairs, e.g. per address, per username at this address, and per username
    from anywhere with a higher limit (a stranger elsewhere cannot lock the real user out at hers)."""

    def __init__(self, limit: int = 5, window: float = 300):
        self.limit, self.window = limit, window
        self.attempts: dict[str, deque[float]] = defaultdict(deque)
        self.held: dict[float, list[str]] = {}  # a reservation's stamp -> the keys it was counted on
        self.reserved = 0

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self.attempts[key]
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def reserve(self, *keys: tuple[str, int]) -> tuple[int, float | None]:
        """Count one attempt on every key, or none when one is over its limit: returns (seconds to
        wait, 0 when allowed; the reservation's stamp, to release on success)."""
        now = time.monotonic()
        worst = 0.0
        for key, limit in keys:
            q = self._recent(key, now)
            if len(q) >= limit:
                worst = max(worst, q[0] + self.window - now)
        if worst:
            return int(worst) + 1, None
        for key, _ in keys:
            self.attempts[key].append(now)
        self.held.setdefault(now, []).extend(key for key, _ in keys)
        self.reserved += 1
        if self.reserved % 1000 == 0:
            self._sweep(now)
        return 0, now

    def _sweep(self, now: float) -> None:
        """Forget keys and reservations older than the window (a public site sees many addresses
        and codes: without this the limiter would grow for as long as the process runs)."""
        for key in [k for k, q in self.attempts.items() if not q or q[-1] < now - self.window]:
            del self.attempts[key]
        for stamp in [t for t in self.held if t < now - self.window]:
            del self.held[stamp]

    def succeeded(self, stamp: float, *keys: str) -> None:
        """A right password: its reservation is no failure, and these keys start afresh."""
        for key in keys:
            self.attempts.pop(key, None)
        for key in self.held.pop(stamp, []):  # only the keys this reservation was counted on
            q = self.attempts.get(key)
            if q is None:
                continue
            try:
                q.remove(stamp)
            except ValueError:
                pass  # that key has moved on
            if not q:
                del self.attempts[key]


def ident(request: web.Request, name: str = "id", what: str = "id") -> int:
    """A path id as a bounded positive integer, or 400."""
    text = request.match_info[name]
    if not text.isdigit() or len(text) > 19 or not 0 < int(text) <= MAX_ID:
        raise fail(400, f"{what}: a positive whole number")
    return int(text)


async def body(request: web.Request, limit: int = 64 * 1024) -> dict:
    """The request's JSON object, or a clear 4xx. The limit holds for chunked bodies too.
    Read once: the CSRF check and the handler see the same parsed body."""
    if BODY in request:
        return dict(request[BODY])
    if request.content_length and request.content_length > limit:
        raise fail(413, f"request body over {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise fail(413, f"request body over {limit} bytes")
    if request.content_type == "application/json":
        try:
            data = json.loads(raw.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):  # also a number past Python's 4300 digits
            raise fail(400, "body is not valid JSON") from None
    elif request.content_type in ("application/x-www-form-urlencoded", ""):
        try:
            data = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise fail(400, "form is not UTF-8") from None
    else:
        raise fail(400, "send JSON (application/json) or a form (application/x-www-form-urlencoded)")
    if not isinstance(data, dict):
        raise fail(400, "body must be a JSON object")
    request[BODY] = data
    return dict(data)


def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; media-src 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.path.startswith("/static/"):  # API answers and pages carry people's data
        response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def headers(request: web.Request, handler):
    """Every answer carries the security headers: errors and redirects (raised) as well."""
    try:
        response = await handler(request)
    except web.HTTPException as e:
        _secure(request, e)
        raise
    _secure(request, response)
    return response


@web.middleware
async def database(request: web.Request, handler):
    """The database away (locked, down): a clear 503; calls and the engine go on."""
    try:
        return await handler(request)
    except DatabaseUnavailable as e:
        log.error("console: database unavailable for %s %s: %s", request.method, request.path,
                  str(e).splitlines()[0])
        raise web.HTTPServiceUnavailable(text=json.dumps({"error": "database unavailable: try again shortly"}),
                                         content_type="application/json", headers={"Retry-After": "5"}) from None


@web.middleware
async def session(request: web.Request, handler):
    token = request.cookies.get(SESSION_COOKIE)
    found = await asyncio.to_thread(accounts.session_user, console(request).db, token) if token else None
    if found:
        request[USER], request[CSRF] = found
        request[TOKEN] = token
    path = request.path
    if found is None and not path.startswith(PUBLIC):
        if path.startswith(("/api/", "/ws")):
            raise fail(401, "log in first")
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    if request.method not in SAFE_METHODS and found is not None and path != "/login":
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent and request.content_type == "application/x-www-form-urlencoded":
            sent = str((await body(request)).get("csrf", ""))
        if not hmac.compare_digest(sent.encode(), request[CSRF].encode()):
            raise fail(403, "CSRF token missing or wrong: reload the page")
    return await handler(request)
