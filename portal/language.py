"""The portal's languages: Vietnamese first, English one link away (`?lang=en`, remembered in a
cookie). Templates are translated with gettext from `catalogs/vi/*.po` (English message ids)."""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from babel.support import Translations

from web.language import compiled

HERE = Path(__file__).parent
LANGUAGES = ("vi", "en")
DEFAULT = "vi"
COOKIE = "tongdai_public_lang"


@cache
def translations(lang: str) -> Translations:
    return compiled(HERE / "catalogs" / lang, lang)


@cache
def environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "pages"), autoescape=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def language_of(request: web.Request) -> str:
    chosen = request.query.get("lang") or request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT


def gettext(request: web.Request, message: str) -> str:
    return translations(language_of(request)).gettext(message)


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """A page in the reader's language; a language chosen by link is remembered."""
    return respond(request, render_text(request, template, **values), status)


def render_text(request: web.Request, template: str, **values: Any) -> str:
    from portal.context import public
    lang = language_of(request)
    return environment(lang).get_template(template).render(
        lang=lang, other="en" if lang == "vi" else "vi", path=request.path, site=public(request).site, **values)


def respond(request: web.Request, html: str, status: int = 200) -> web.Response:
    """An HTML answer (rendered now or kept from an earlier view); a language chosen by link is remembered."""
    lang = language_of(request)
    response = web.Response(text=html, content_type="text/html", charset="utf-8", status=status)
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="Lax")
    return response
