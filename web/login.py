"""Log in and out. The login form is protected by a double-submit token (cookie + field);
failed logins are limited per address and per username."""
from __future__ import annotations

import asyncio
import hmac
import secrets

from aiohttp import web

from web import accounts
from web.guard import SESSION_COOKIE, allow, body, fail
from web.context import CSRF, HOME, TOKEN, USER, console
from web.pages import redirect, render

PRE_COOKIE = "td_login"


def _safe_next(target: str | None, role: str) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not target.startswith("/login"):
        return target
    return HOME[role]


def _cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Strict", secure=request.secure,
                        path="/")


async def login_page(request: web.Request, message: str = "", status: int = 200) -> web.Response:
    if USER in request and not message:
        raise web.HTTPFound(HOME[request[USER].role])
    token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    response = render("login", request, status=status, csrf=token, message=message, title="Đăng nhập / Log in",
                      next=request.query.get("next", ""))
    _cookie(response, request, PRE_COOKIE, token, 3600)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    c = console(request)
    data = await body(request, limit=4096)
    wants_json = request.content_type == "application/json"
    expected = request.cookies.get(PRE_COOKIE, "")
    sent = str(data.get("csrf") or request.headers.get("X-CSRF-Token", ""))
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise fail(403, "CSRF token missing or wrong: reload the login page")
    username, password = str(data.get("username", "")).strip().lower(), str(data.get("password", ""))
    keys = (f"ip:{request.remote}", f"user:{username}")
    wait = c.limiter.retry_after(*keys)
    if wait:
        raise web.HTTPTooManyRequests(text=f'{{"error": "too many failed logins: try again in {wait} s"}}',
                                      content_type="application/json", headers={"Retry-After": str(wait)})
    user = await asyncio.to_thread(accounts.authenticate, c.db, username, password) if username else None
    if user is None:
        c.limiter.failed(*keys)
        if wants_json:
            raise fail(401, "wrong username or password")
        return await login_page(request, "Sai tên đăng nhập hoặc mật khẩu / Wrong username or password", 401)
    c.limiter.succeeded(keys[1])
    token, csrf = await asyncio.to_thread(accounts.open_session, c.db, user)
    if wants_json:
        response: web.StreamResponse = web.json_response({"user": user.as_dict(), "csrf": csrf})
    else:
        response = redirect(_safe_next(str(data.get("next", "")), user.role))
    _cookie(response, request, SESSION_COOKIE, token, accounts.SESSION_HOURS * 3600)
    response.del_cookie(PRE_COOKIE, path="/")
    return response


@allow(*accounts.ROLES)
async def logout(request: web.Request) -> web.StreamResponse:
    await asyncio.to_thread(accounts.close_session, console(request).db, request[TOKEN])
    response = redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@allow(*accounts.ROLES)
async def me(request: web.Request) -> web.Response:
    return web.json_response({"user": request[USER].as_dict(), "csrf": request[CSRF]})


def routes() -> list[web.RouteDef]:
    return [web.get("/login", login_page), web.post("/login", login), web.post("/logout", logout),
            web.get("/api/me", me)]
