"""The console's languages: Vietnamese first, English one click away, remembered per user.

Server templates are translated with gettext (Babel reads `catalogs/vi/*.po`; the message ids
are English, so English needs no catalog). The pages' scripts get one JSON catalog per
language (`catalogs/<lang>/*.json`, one file per page, merged), plus the display names of the
site's own codes: fields, queues, areas, outcomes and pause reasons. `TD.t(key)` in
console.js reads it; a key missing from the catalog shows as itself, which the page-walk
test catches.
"""
from __future__ import annotations

import asyncio
import io
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.messages.catalog import Catalog
from babel.support import Translations

from config import Site
from db.queries import accounts as stored_accounts
from db.queries.accounts import UserView
from db.queries import pause_reasons
from db.types import Database, DatabaseUnavailable
from web.context import USER, console

log = logging.getLogger("tongdai.web")
HERE = Path(__file__).parent
CATALOGS = HERE / "catalogs"
LANGUAGES = ("vi", "en")
DEFAULT = "vi"
COOKIE = "tongdai_lang"
# pause reason key -> name, per language (the seeded defaults until the table has been read)
_reasons: dict[str, dict[str, str]] = {lang: {key: (vi if lang == "vi" else en) for _, key, vi, en in
                                              pause_reasons.DEFAULTS} for lang in LANGUAGES}


@cache
def translations(lang: str) -> Translations:
    """The gettext catalog of `lang` for the templates, its .po files merged and compiled in memory."""
    return compiled(CATALOGS / lang, lang)


def compiled(folder: Path, lang: str) -> Translations:
    """The .po files of `folder` merged and compiled in memory (the console's and the portal's)."""
    merged = Catalog(locale=lang)
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id:
                    merged.add(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


@cache
def environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "pages"), autoescape=True,
                             undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


@cache
def _static(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in sorted((CATALOGS / lang).glob("*.json")):
        out.update(json.loads(part.read_text(encoding="utf-8")))
    return out


def catalog(lang: str, site: Site) -> dict[str, str]:
    """Everything the pages' scripts may show in `lang`: the static messages and the site's codes."""
    out = dict(_static(lang))
    for prefix, labels in (("field", site.fields), ("area", site.areas), ("outcome", site.desk.outcomes)):
        out.update({f"{prefix}.{x.key}": getattr(x, lang) for x in labels})
    out.update({f"queue.{q.name}": getattr(q, lang) for q in site.queues})
    out.update({f"agency.{a.key}": a.name for a in site.agencies.agencies})  # agencies' own (Vietnamese) names
    out.update({f"reason.{key}": name for key, name in _reasons[lang].items()})
    return out


async def load_reasons(db: Database) -> None:
    """Refresh the pause reasons' names (at start and after an admin changes them). Without the
    database the names already known stay: the console starts anyway."""
    try:
        rows = await asyncio.to_thread(pause_reasons.reasons, db, False)
    except DatabaseUnavailable as err:
        log.warning("pause reasons' names not read (the defaults stay): %s", str(err).splitlines()[0])
        return
    for lang in LANGUAGES:
        _reasons[lang] = {r.key: getattr(r, lang) for r in rows}


def language_of(request: web.Request) -> str:
    """A logged-in user's own choice, else Vietnamese (whatever the browser's language: the hotline's
    staff work in Vietnamese); before login, the choice made on this browser's login page."""
    user = request.get(USER)
    chosen = user.language if user else request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT


async def remember_login_choice(request: web.Request, user: UserView) -> None:
    """At login: a language chosen on the login page becomes the user's, if they had none yet."""
    chosen = request.cookies.get(COOKIE)
    if user.language is None and chosen in LANGUAGES:
        await asyncio.to_thread(stored_accounts.set_language, console(request).db, user.id, chosen)


def gettext(request: web.Request, message: str) -> str:
    return translations(language_of(request)).gettext(message)


async def choose(request: web.Request) -> web.StreamResponse:
    """POST /lang (a form: lang, next): remember the choice for the user and on this browser."""
    from web.guard import body
    from web.login import safe_next
    data = await body(request)
    lang = str(data.get("lang", ""))
    if lang not in LANGUAGES:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"lang: one of {', '.join(LANGUAGES)}"}),
                                 content_type="application/json")
    user = request.get(USER)
    if user:
        await asyncio.to_thread(stored_accounts.set_language, console(request).db, user.id, lang)
    response = web.HTTPSeeOther(safe_next(str(data.get("next", ""))) or "/")
    response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="Strict", path="/")
    raise response


async def catalog_json(request: web.Request) -> web.Response:
    lang = request.match_info["lang"].removesuffix(".json")
    if lang not in LANGUAGES:
        raise web.HTTPNotFound()
    return web.json_response(catalog(lang, console(request).site), dumps=lambda d: json.dumps(d, ensure_ascii=False))


def routes() -> list[web.RouteDef]:
    return [web.post("/lang", choose), web.get("/i18n/{lang}", catalog_json)]


def template_values(request: web.Request) -> dict[str, Any]:
    lang = language_of(request)
    site = console(request).site
    return {"lang": lang, "other_lang": "en" if lang == "vi" else "vi", "timezone": site.timezone,
            "catalog": catalog(lang, site)}
