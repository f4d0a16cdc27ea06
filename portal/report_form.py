"""The report form (`/report`): a citizen reports a problem with its field, ward, address, a
description, up to 3 photos and a contact, and gets the ticket code at once. A plain multipart
form POST (report.js only helps: it counts characters and checks the photos before sending).

Every refused input is said in the reader's language naming its field, with what they typed kept
(not the files: a browser cannot be given them back); nothing is written until everything is
right, and then in one transaction (db.queries.web_reports.submit; photos are stored first, by
their content, and removed again if the transaction fails). The checks themselves are intake's.

Abuse without a third-party CAPTCHA: a honeypot field people do not see (filled: a generic
refusal, nothing written), per client address at most 5 reports an hour and 30 tries an hour
(over: 429 with Retry-After and a page saying when), and the request's size (16 MB, checked here
as well as by the app)."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from db.clock import utcnow
from db.queries import web_reports
from db.types import DatabaseUnavailable
from intake import photos as intake_photos
from intake import report as intake
from portal.context import client_address, public
from portal.language import gettext, language_of, render

log = logging.getLogger("tongdai.portal")
REPORTS_PER_HOUR, TRIES_PER_HOUR, HOUR = 5, 30, 3600
MAX_REQUEST = 16 * 1024 * 1024  # = the app's client_max_size
HONEYPOT = "website"
TEXT_FIELDS = ("field", "area", "address", "description", "phone", "email")

# (form field, refusal code) -> the message, an English message id translated by report.po
MESSAGES = {
    ("field", "missing"): "Field: choose what the problem is about.",
    ("field", "unknown"): "Field: choose one of the list.",
    ("area", "missing"): "Ward / area: choose where the problem is.",
    ("area", "unknown"): "Ward / area: choose one of the list.",
    ("address", "too_long"): "Address: at most %(max)s characters (you typed %(n)s).",
    ("description", "missing"): "What is wrong: describe the problem.",
    ("description", "too_long"): "What is wrong: at most %(max)s characters (you typed %(n)s).",
    ("contact", "missing"): "Contact: give a phone number or an email, so the hotline can reach you.",
    ("phone", "bad_phone"): "Phone number: not a Vietnamese mobile or landline number (e.g. 0905 123 456).",
    ("email", "bad_email"): "Email: not an email address (e.g. ten@example.vn).",
    ("consent", "missing"): "Consent: tick the box to agree to be contacted about your report.",
    ("photos", "too_many"): "Photos: at most %(max)s (you chose %(n)s).",
    ("photos", "not_image"): "Photo “%(name)s”: not a JPEG or PNG image.",
    ("photos", "too_big"): "Photo “%(name)s”: larger than 5 MB.",
}


def _number(n: int, lang: str) -> str:
    """4000 -> '4.000' (Vietnamese) or '4,000'."""
    return f"{n:,}".replace(",", "." if lang == "vi" else ",")


def _say(request: web.Request, problem: intake.Problem) -> str:
    lang = language_of(request)
    limits = {"address": intake.MAX_ADDRESS, "description": intake.MAX_DESCRIPTION, "photos": intake_photos.MAX_PHOTOS}
    values = {"max": _number(limits.get(problem.name, 0), lang), "n": problem.detail,
              "name": problem.detail or "?"}
    if problem.detail.isdigit():
        values["n"] = _number(int(problem.detail), lang)
    return gettext(request, MESSAGES[(problem.name, problem.code)]) % values


def _form(request: web.Request, values: dict[str, Any], problems: list[intake.Problem], status: int = 200
          ) -> web.Response:
    lang = language_of(request)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.name, []).append(_say(request, problem))
    # what report.js says before sending (the server says it again if the script is not there)
    messages = {"too_many": _say(request, intake.Problem("photos", "too_many", "{n}")),
                "too_big": gettext(request, MESSAGES[("photos", "too_big")]) % {"name": "{name}"},
                "not_image": gettext(request, MESSAGES[("photos", "not_image")]) % {"name": "{name}"},
                "chars": gettext(request, "%(n)s of %(max)s characters") % {
                    "n": "{n}", "max": _number(intake.MAX_DESCRIPTION, lang)}}
    return render(request, "report.html", status=status, errors=errors, messages=messages,
                  values={k: values.get(k, "") for k in (*TEXT_FIELDS, "consent")},
                  max_photos=intake_photos.MAX_PHOTOS, max_bytes=intake_photos.MAX_BYTES,
                  max_chars=intake.MAX_DESCRIPTION, max_chars_text=_number(intake.MAX_DESCRIPTION, lang))


async def show(request: web.Request) -> web.Response:
    return _form(request, {}, [])


def _too_many(request: web.Request, wait: int) -> web.Response:
    response = render(request, "report_done.html", status=429, code=None, too_big=None, minutes=max(1, -(-wait // 60)))
    response.headers["Retry-After"] = str(wait)
    return response


def _too_big(request: web.Request) -> web.Response:
    return render(request, "report_done.html", status=413, code=None, minutes=0, too_big=MAX_REQUEST // (1024 * 1024))


async def _read(request: web.Request) -> tuple[dict[str, Any], tuple[tuple[str, bytes], ...]] | None:
    """The form's text fields and chosen files, or None when the request is over its size."""
    if request.content_length and request.content_length > MAX_REQUEST:
        return None
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        return None
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in (*TEXT_FIELDS, HONEYPOT)}
    values["consent"] = str(form.get("consent", "")) in ("yes", "on", "1", "true")
    files: list[tuple[str, bytes]] = []
    for part in form.getall("photos", []):
        if isinstance(part, web.FileField) and (part.filename or "").strip():
            # one byte past the limit is enough to refuse it (the app has bounded the whole request)
            files.append((Path(part.filename).name[:80], part.file.read(intake_photos.MAX_BYTES + 1)))
    return values, tuple(files)


async def send(request: web.Request) -> web.Response:
    p, address = public(request), client_address(request)
    tries = p.limiter("report-tries", TRIES_PER_HOUR, HOUR)
    wait, _ = tries.reserve((f"address:{address}", TRIES_PER_HOUR))
    if wait:
        return _too_many(request, wait)
    read = await _read(request)
    if read is None:
        return _too_big(request)
    values, files = read
    if values[HONEYPOT].strip():  # a robot filled what people never see: no reason given, nothing written
        log.info("report form: honeypot filled from %s", address)
        return render(request, "report_done.html", status=400, code=None, minutes=0, too_big=None)
    typed = intake.Typed(**{k: values[k] for k in TEXT_FIELDS}, consent=values["consent"], photos=files)
    site = p.site
    report, problems = await asyncio.to_thread(intake.check, typed, {f.key for f in site.fields},
                                               {a.key for a in site.areas})
    if report is None:
        return _form(request, values, problems, status=400)
    reports = p.limiter("report", REPORTS_PER_HOUR, HOUR)
    wait, stamp = reports.reserve((f"address:{address}", REPORTS_PER_HOUR))
    if stamp is None:
        return _too_many(request, wait)
    try:
        code = await asyncio.to_thread(_store, p.db, site.paths.data / "photos", site.hotline,
                                       ZoneInfo(site.timezone), report, language_of(request))
    except DatabaseUnavailable:
        reports.succeeded(stamp)  # nothing was written: it does not count
        raise
    log.info("report form: %s received (%d photos)", code, len(report.photos))
    return render(request, "report_done.html", code=code, minutes=0, too_big=None)


def _store(db: Any, root: Path, hotline: str, zone: ZoneInfo, report: intake.Report, lang: str) -> str:
    """The photos on disk, then the ticket in one transaction; the photos this report added are
    removed again if the transaction fails (a photo already stored for another report stays)."""
    saved: list[tuple[web_reports.NewPhoto, Path | None]] = []
    for photo in report.photos:
        relative, created = intake_photos.save(photo, root)
        saved.append((web_reports.NewPhoto(relative, photo.content_type, photo.sha256, len(photo.data),
                                           photo.width, photo.height, photo.gps), root / relative if created else None))
    now = utcnow()
    new = web_reports.NewReport(report.field, report.area, report.address, report.description,
                                report.contact.phone, report.contact.email, True, tuple(p for p, _ in saved),
                                source="web", language=lang)
    try:
        return web_reports.submit(db, new, web_reports.day_prefix(hotline, datetime.now(zone)), now)
    except BaseException:
        for _, path in saved:
            if path is not None:
                path.unlink(missing_ok=True)
        raise


def routes() -> list[web.RouteDef]:
    return [web.get("/report", show), web.post("/report", send)]
