"""A citizen who follows a wrong or old link gets a page in their language with the way back,
not aiohttp's bare "404: Not Found". Open311 and the JSON/CSV answers keep their own bodies."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from portal.language import gettext, render

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _is_page(request: web.Request) -> bool:
    return not (request.path.startswith(("/open311/", "/static/")) or request.path.endswith((".json", ".csv")))


@web.middleware
async def friendly_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound as e:
        if not _is_page(request) or e.text not in (None, "", "404: Not Found"):
            raise
        return render(request, "error.html", status=404, message=gettext(request, "This page does not exist."))
    except web.HTTPMethodNotAllowed:
        if not _is_page(request):
            raise
        return render(request, "error.html", status=405,
                      message=gettext(request, "This address only answers a form sent from its page."))
