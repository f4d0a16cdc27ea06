"""The console's pages: Jinja2 templates (autoescaped) around static JS that uses /api/."""
from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from web.context import CSRF, HOME, USER
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


def routes() -> list[web.RouteDef]:
    out = [web.get(path, _page(name, title, roles)) for path, name, title, roles in PAGES]
    out += [web.get("/", home), web.get("/tickets/{code}", _page("ticket", "Phiếu / Ticket", TICKET_ROLES)),
            web.static("/static", HERE / "static")]
    return out
