"""The console's pages: Jinja2 templates (autoescaped) around static JS that uses /api/."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from db.queries import tickets as stored_tickets
from web.context import CSRF, HOME, USER, console
from web.guard import allow

HERE = Path(__file__).parent
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "pages"), autoescape=True,
                          undefined=jinja2.StrictUndefined)

# path, template, title, roles (admin sees everything)
PAGES = [
    ("/agent", "agent", "Bàn làm việc / Agent desk", ("agent",)),
    ("/wallboard", "wallboard", "Giám sát / Wallboard", ("supervisor", "leader")),
    ("/callbacks", "callbacks", "Gọi lại / Callbacks", ("callback", "supervisor")),
    ("/tickets", "tickets", "Phiếu / Tickets", ("agent", "supervisor", "callback", "leader")),
    ("/reports", "reports", "Báo cáo / Reports", ("supervisor", "leader")),
]
TICKET_ROLES = ("agent", "supervisor", "callback", "leader")


def nav(role: str) -> list[tuple[str, str]]:
    return [(path, title) for path, _, title, roles in PAGES if role == "admin" or role in roles]


def redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def render(name: str, request: web.Request, status: int = 200, **values) -> web.Response:
    user = request.get(USER)
    html = _env.get_template(f"{name}.html").render(
        page=name, user=user, csrf=values.pop("csrf", request.get(CSRF, "")),
        nav=nav(user.role) if user else [], **values)
    return web.Response(text=html, status=status, content_type="text/html")


def _page(name: str, title: str, roles: tuple[str, ...]):
    @allow(*roles)
    async def handler(request: web.Request) -> web.Response:
        return render(name, request, title=title, **request.match_info)
    return handler


@allow(*TICKET_ROLES)
async def home(request: web.Request) -> web.Response:
    return redirect(HOME[request[USER].role])


@allow(*TICKET_ROLES)
async def ticket_page(request: web.Request) -> web.Response:
    """A ticket's page, only for a ticket that exists and this user may open (else the error page:
    no edit form for a ticket that is not there)."""
    user, code = request[USER], request.match_info["code"]
    try:
        await asyncio.to_thread(stored_tickets.load, console(request).db, code, user.role, user.extension)
    except stored_tickets.TicketNotFound:
        raise web.HTTPNotFound() from None
    except stored_tickets.NotYourTicket:
        raise web.HTTPForbidden() from None
    return render("ticket", request, title="Phiếu / Ticket", code=code)


def routes() -> list[web.RouteDef]:
    out = [web.get(path, _page(name, title, roles)) for path, name, title, roles in PAGES]
    out += [web.get("/", home), web.get("/tickets/{code}", ticket_page),
            web.static("/static", HERE / "static")]
    return out


ERRORS = {
    403: ("Không có quyền", "Tài khoản của bạn không được xem trang này.", "Not allowed",
          "Your account may not see this page."),
    404: ("Không tìm thấy", "Không có trang hay phiếu nào ở địa chỉ này.", "Not found",
          "There is no page or ticket at this address."),
}


@web.middleware
async def friendly_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A page, not raw JSON, when a person's browser asks for something it may not see or that
    does not exist; the API keeps its JSON errors."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as e:
        if e.status not in ERRORS or request.method != "GET" or request.path.startswith(("/api/", "/ws", "/static/")):
            raise
        heading_vi, text_vi, heading_en, text_en = ERRORS[e.status]
        return render("error", request, status=e.status, title=f"{heading_vi} / {heading_en}", heading_vi=heading_vi,
                      text_vi=text_vi, heading_en=heading_en, text_en=text_en)
