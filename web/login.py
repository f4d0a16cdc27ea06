"""Log in and out. The login form is protected by a double-submit token (cookie + field);
failed logins are limited per address and per username."""
from __future__ import annotations

import asyncio
import hmac
import secrets
from urllib.parse import unquote, urlsplit

from aiohttp import web

from web import accounts, language
from web.guard import SESSION_COOKIE, allow, body, fail
from web.context import CSRF, HOME, TOKEN, USER, console
from web.pages import redirect, render

PRE_COOKIE = "td_login"
# per address; per username at that address; per username from anywhere (higher: a stranger
# elsewhere slows the account down but does not shut its owner out)
LIMIT_ADDRESS, LIMIT_USER_AT_ADDRESS, LIMIT_USER = 5, 5, 20


def safe_next(target: str | None) -> str | None:
    """A same-origin path to go to after login, or None. Parsed, not prefix-checked: browsers
    read a backslash as a slash and drop tabs and line breaks, so `/\\evil`, `/%5Cevil` and
    `/%09/evil` are other hosts; anything with a scheme, a host, `//`, a backslash or a control
    character, before or after percent-decoding, is refused."""
    if not target:
        return None
    for text in (target, unquote(target)):
        if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F or ch.isspace() for ch in text):
            return None
        parts = urlsplit(text)
        if parts.scheme or parts.netloc or not text.startswith("/") or text.startswith("//"):
            return None
    if urlsplit(target).path.startswith("/login"):
        return None
    return target


def https(request: web.Request) -> bool:
    """TLS here, or behind the configured TLS proxy (whose X-Forwarded-Proto alone is believed)."""
    settings = console(request).site.web
    if request.secure:
        return True
    return (settings.behind_tls_proxy and request.remote == settings.proxy
            and request.headers.get("X-Forwarded-Proto", "").lower() == "https")


def _cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int) -> None:
    secure = https(request) or console(request).site.web.behind_tls_proxy
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Strict", secure=secure, path="/")


async def login_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    if USER in request and not message:
        raise web.HTTPFound(HOME[request[USER].role])
    token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    response = render("login", request, status=status, csrf=token, message=message, title="Log in",
                      next=request.query.get("next", ""))
    _cookie(response, request, PRE_COOKIE, token, 3600)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    c = console(request)
    data = await body(request, limit=8192)
    wants_json = request.content_type == "application/json"
    expected = request.cookies.get(PRE_COOKIE, "")
    sent = str(data.get("csrf") or request.headers.get("X-CSRF-Token", ""))
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise fail(403, "CSRF token missing or wrong: reload the login page")
    username, password = str(data.get("username", "")).strip().lower(), str(data.get("password", ""))
    # reserved before the (slow) password check: a concurrent burst counts in full
    wait, stamp = c.limiter.reserve((f"ip:{request.remote}", LIMIT_ADDRESS),
                                    (f"user:{username}@{request.remote}", LIMIT_USER_AT_ADDRESS),
                                    (f"user:{username}", LIMIT_USER))
    if wait or stamp is None:
        raise web.HTTPTooManyRequests(text=f'{{"error": "too many failed logins: try again in {wait} s"}}',
                                      content_type="application/json", headers={"Retry-After": str(wait)})
    user = await asyncio.to_thread(accounts.authenticate, c.db, username, password) if username else None
    if user is None:
        if wants_json:
            raise fail(401, "wrong username or password")
        return await login_page(request, "Wrong username or password", 401)
    c.limiter.succeeded(stamp, f"user:{username}@{request.remote}")
    await language.remember_login_choice(request, user)
    token, csrf = await asyncio.to_thread(accounts.open_session, c.db, user)
    if wants_json:
        response: web.StreamResponse = web.json_response({"user": user.as_dict(), "csrf": csrf})
    else:
        response = redirect(safe_next(str(data.get("next", ""))) or "/")  # "/" takes the role home
    _cookie(response, request, SESSION_COOKIE, token, accounts.SESSION_HOURS * 3600)
    response.del_cookie(PRE_COOKIE, path="/")
    return response


@allow(*accounts.ROLES)
async def logout(request: web.Request) -> web.StreamResponse:
    await asyncio.to_thread(accounts.close_session, console(request).db, request[TOKEN])
    response = redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    response.del_cookie(language.COOKIE, path="/")  # the next person at this browser starts in Vietnamese
    return response


@allow(*accounts.ROLES)
async def me(request: web.Request) -> web.Response:
    return web.json_response({"user": request[USER].as_dict(), "csrf": request[CSRF]})


def routes() -> list[web.RouteDef]:
    return [web.get("/login", login_page), web.post("/login", login), web.post("/logout", logout),
            web.get("/api/me", me)]
