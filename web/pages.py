"""The console's pages: Jinja2 templates (autoescaped) around static JS that uses /api/."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from db.queries import tickets as stored_tickets
from web.context import CSRF, HOME, USER, console
from web.guard import allow
from web.language import environment, language_of, template_values, translations

HERE = Path(__file__).parent

# path, template, title (an English message id, translated), roles (admin sees everything), in the menu
PAGES = [
    ("/agent", "agent", "Agent desk", ("agent",), True),
    ("/wallboard", "wallboard", "Wallboard", ("supervisor", "leader"), True),
    ("/wallboard/tv", "tv", "Wallboard TV", ("supervisor", "leader"), False),
    ("/callbacks", "callbacks", "Callbacks", ("callback", "supervisor"), True),
    ("/tickets", "tickets", "Tickets", ("agent", "supervisor", "callback", "leader"), True),
    ("/reports", "reports", "Reports", ("supervisor", "leader"), True),
    ("/admin", "admin", "Administration", (), True),
    ("/agency", "agency", "Agency", ("agency",), True),
]
# an agency user is kept out of the tickets (they carry the caller's number and recordings):
# its cases are on /agency, as the agency may see them
TICKET_ROLES = ("agent", "supervisor", "callback", "leader")


def nav(role: str, lang: str) -> list[tuple[str, str]]:
    _ = translations(lang).gettext
    return [(path, _(title)) for path, _n, title, roles, listed in PAGES
            if listed and (role == "admin" or role in roles)]


def redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


def render(name: str, request: web.Request, status: int = 200, **values) -> web.Response:
    """A page in the viewer's language; `title` is an English message id."""
    user, lang = request.get(USER), language_of(request)
    title = translations(lang).gettext(values.pop("title"))
    html = environment(lang).get_template(f"{name}.html").render(
        page=name, user=user, csrf=values.pop("csrf", request.get(CSRF, "")), title=title,
        nav=nav(user.role, lang) if user else [], path=request.path, **template_values(request), **values)
    return web.Response(text=html, status=status, content_type="text/html")


def _page(name: str, title: str, roles: tuple[str, ...]):
    @allow(*roles)
    async def handler(request: web.Request) -> web.Response:
        return render(name, request, title=title, **request.match_info)
    return handler


@allow(*TICKET_ROLES, "agency")
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
    return render("ticket", request, title="Ticket", code=code)


def routes() -> list[web.RouteDef]:
    out = [web.get(path, _page(name, title, roles)) for path, name, title, roles, _listed in PAGES]
    out += [web.get("/", home), web.get("/tickets/{code}", ticket_page),
            web.static("/static", HERE / "static")]
    return out


ERRORS = {
    403: ("Not allowed", "Your account may not see this page."),
    404: ("Not found", "There is no page or ticket at this address."),
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
        heading, text = ERRORS[e.status]
        return render("error", request, status=e.status, title=heading, text=text)
