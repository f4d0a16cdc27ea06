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

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from web import accounts
from web.context import CSRF, TOKEN, USER, console

log = logging.getLogger("tongdai.web")
SESSION_COOKIE = "td_session"
PUBLIC = ("/login", "/static/", "/healthz", "/api/openapi.json")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


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


class RateLimiter:
    """At most `limit` failed logins per key (address, username) in `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 300):
        self.limit, self.window = limit, window
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, *keys: str) -> int:
        now = time.monotonic()
        worst = 0.0
        for key in keys:
            q = self.failures.get(key)
            while q and q[0] < now - self.window:
                q.popleft()
            if q and len(q) >= self.limit:
                worst = max(worst, q[0] + self.window - now)
        return int(worst) + 1 if worst else 0

    def failed(self, *keys: str) -> None:
        for key in keys:
            self.failures[key].append(time.monotonic())

    def succeeded(self, username_key: str) -> None:
        self.failures.pop(username_key, None)


async def body(request: web.Request, limit: int = 64 * 1024) -> dict:
    """The request's JSON object, or a clear 4xx."""
    if request.content_length and request.content_length > limit:
        raise fail(413, f"request body over {limit} bytes")
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.text() or "{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise fail(400, "body is not valid JSON") from None
    else:
        data = dict(await request.post())
    if not isinstance(data, dict):
        raise fail(400, "body must be a JSON object")
    return data


@web.middleware
async def headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; media-src 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def database(request: web.Request, handler):
    """The database away (locked, down): a clear 503; calls and the engine go on."""
    try:
        return await handler(request)
    except SQLAlchemyError as e:
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
        raise web.HTTPFound(f"/login?next={path}")
    if request.method not in SAFE_METHODS and found is not None and path != "/login":
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent and request.content_type == "application/x-www-form-urlencoded":
            sent = str((await request.post()).get("csrf", ""))
        if not hmac.compare_digest(sent.encode(), request[CSRF].encode()):
            raise fail(403, "CSRF token missing or wrong: reload the page")
    return await handler(request)
