"""The recent resolved cases, as the public may see them: field, area, the day received and the
day resolved, each agency and its approved answer. Never the citizen's name, number, email,
address or recordings: the list's query does not read them, and the texts shown (the summary, the
answers; or the versions a supervisor wrote) have phone numbers, emails and the caller's names
replaced (privacy.redaction). A case appears `[public] publish_after_hours` after it was resolved
(the supervisors' time to hide or redact it) and never while hidden."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from config import Site
from config.local_time import show
from db.clock import utcnow
from db.queries import public_cases
from db.types import Database
from portal.context import public
from portal.language import language_of, render
from privacy.redaction import redact


@dataclass(frozen=True)
class ShownCase:
    field: str
    area: str
    received: str  # dd/mm/yyyy at the site
    resolved: str
    summary: str  # redacted
    answers: tuple[tuple[str, str], ...]  # (agency's name, redacted answer)


def _label(labels: Any, key: str | None, lang: str) -> str:
    found = next((x for x in labels if x.key == key), None)
    return getattr(found, lang) if found is not None else ""


def shown(cases: list[public_cases.PublicCase], names: dict[int, list[str]], site: Site, lang: str) -> list[ShownCase]:
    """The cases as the page shows them in `lang`: labels for the codes, local days, redacted texts."""
    agencies = {a.key: a.name for a in site.agencies.agencies}
    out = []
    for c in cases:
        hide = names.get(c.ticket_id, [])
        out.append(ShownCase(
            _label(site.fields, c.field, lang), _label(site.areas, c.area, lang),
            show(c.received_at, site.timezone)[:10], show(c.resolved_at, site.timezone)[:10],
            redact(c.summary, hide, lang),
            tuple((a.agency_name or agencies.get(a.agency, a.agency), redact(a.text, hide, lang)) for a in c.answers)))
    return out


def _read(db: Database, site: Site, number: int, lang: str) -> tuple[int, list[ShownCase]]:
    now, after = utcnow(), timedelta(hours=site.public.publish_after_hours)
    total = public_cases.count(db, now, after)
    cases = public_cases.page(db, now, after, number)
    return total, shown(cases, public_cases.names_to_hide(db, [c.ticket_id for c in cases]), site, lang)


async def page(request: web.Request) -> web.Response:
    p = public(request)
    try:
        number = max(1, int(request.query.get("page", "1")))
    except ValueError:
        number = 1
    total, cases = await asyncio.to_thread(_read, p.db, p.site, number, language_of(request))
    pages = max(1, -(-total // public_cases.PAGE_SIZE))
    return render(request, "cases.html", cases=cases, number=number, pages=pages, total=total)


def routes() -> list[web.RouteDef]:
    return [web.get("/cases", page)]
