"""Open311 GeoReport v2 under /open311/v2/: the provinces' own back-office systems post service
requests (an API key per client, `tongdai apikeys`) and read them back, in JSON or XML by the
spec's format suffix (services.json, requests.xml ...).

- GET services.{fmt}: the site's report fields; GET services/{code}.{fmt}: no extra attributes.
- POST requests.{fmt} (form-encoded, api_key in the body): a ticket of kind `web`, waiting for
  triage like a report from the portal's form; the answer is its code.
- GET requests.{fmt} and requests/{id}.{fmt}: public, no key; nothing personal is shown (see
  portal.open311_format).
Errors are the spec's body, [{"code": 403, "description": "..."}], with that HTTP status: 403 for
a missing, unknown or revoked key, 400 for bad input, 404 for an unknown request, 429 (with
Retry-After) past a rate limit. Texts answer in Vietnamese, or English with `lang=en`.
A POST's fields are read and checked by `parse_post` (pure); answers are built in open311_format.
"""
from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from config import Site
from db.clock import utcnow
from db.queries import api_keys, open311_requests
from ivr import phone as phone_number
from portal import open311_format as fmt
from portal.context import client_address, public

log = logging.getLogger("tongdai.open311")
BASE = "/open311/v2"
FORMATS = ("json", "xml")
MAX_BODY = 64 * 1024  # a request is a few fields: photos travel as media_url
GUESSES = (10, 300.0)  # wrong keys per address in seconds: a key cannot be guessed, only tried
POSTS = (60, 60.0)  # requests per key (and twice that per address) in seconds
READS = (600, 60.0)  # public reads per address in seconds
MAX_DESCRIPTION = 4000  # as the portal's form
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --- what a client sends (pure: unit-tested on its own) -------------------------------------

@dataclass(frozen=True)
class Posted:
    field: str
    area: str | None
    address: str | None
    summary: str
    map_point: str | None
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    device_id: str | None
    account_id: str | None
    media_url: str | None


def _text(form: Mapping[str, str], name: str, limit: int) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise fmt.GeoReportError(400, f"{name}: at most {limit} characters")
    return value or None


def _degrees(form: Mapping[str, str]) -> str | None:
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not lat and not lon:
        return None
    try:
        a, b = float(lat), float(lon)
    except ValueError:
        raise fmt.GeoReportError(400, "lat and long: both, in decimal degrees (WGS84), e.g. lat=16.0678&long=108.2208")\
            from None
    if not (math.isfinite(a) and math.isfinite(b) and -90 <= a <= 90 and -180 <= b <= 180):
        raise fmt.GeoReportError(400, "lat -90..90 and long -180..180")
    return f"{round(a, 6) + 0.0:.6f},{round(b, 6) + 0.0:.6f}"


def parse_post(form: Mapping[str, str], site: Site) -> Posted:
    """POST requests.json's fields (api_key and jurisdiction_id are the caller's), checked."""
    code = (form.get("service_code") or "").strip()
    if not code:
        raise fmt.GeoReportError(400, "service_code: required (GET services.json lists them)")
    if code not in {f.key for f in site.fields}:
        raise fmt.GeoReportError(400, f"service_code {code!r} not found (GET services.json lists them)")
    point = _degrees(form)
    address = _text(form, "address_string", 255)
    address_id = _text(form, "address_id", 64)
    if point is None and address is None and address_id is None:
        raise fmt.GeoReportError(400, "a location is required: lat and long, address_string or address_id")
    areas = {a.key for a in site.areas}
    area = _text(form, "attribute[area]", 32)  # tongdai's extension: the ward/area's key
    if area is None and address_id in areas:
        area = address_id  # a client that knows our wards sends one as its address id
    elif address_id is not None and address is None:
        address = address_id
    if area is not None and area not in areas:
        raise fmt.GeoReportError(400, f"attribute[area]: unknown area {area!r} (one of {', '.join(sorted(areas))})")
    summary = _text(form, "description", MAX_DESCRIPTION)
    if summary is None:
        raise fmt.GeoReportError(400, "description: required (what is wrong, where)")
    email, phone = _text(form, "email", 255), _text(form, "phone", 32)
    if email is not None and not _EMAIL.fullmatch(email):
        raise fmt.GeoReportError(400, "email: not an email address")
    if phone is not None:  # kept as national digits, as the lookup's second factor compares them
        if not phone_number.valid(phone):
            raise fmt.GeoReportError(400, "phone: a Vietnamese phone number, e.g. 0905123456 or +84905123456")
        phone = phone_number.national(phone)
    media = _text(form, "media_url", 2000)
    if media is not None and not media.startswith(("https://", "http://")):
        raise fmt.GeoReportError(400, "media_url: an http(s) URL")
    return Posted(code, area, address, summary, point, email, phone, _text(form, "first_name", 64),
                  _text(form, "last_name", 64), _text(form, "device_id", 64), _text(form, "account_id", 64), media)


def _answer(form: str, status: int, payload: Any, root: str, item: str,
            headers: dict[str, str] | None = None) -> web.Response:
    body, content_type = fmt.encode(form if form in FORMATS else "json", payload, root, item)
    return web.Response(body=body, status=status, content_type=content_type, charset="utf-8", headers=headers)


def _error(form: str, status: int, description: str, headers: dict[str, str] | None = None) -> web.Response:
    return _answer(form, status, fmt.errors(status, description), "errors", "error", headers)


def _format(request: web.Request) -> str:
    form = request.match_info["format"]
    if form not in FORMATS:
        raise fmt.GeoReportError(400, f"format {form!r}: json or xml")
    return form


def _limited(purpose: str, limit: tuple[int, float], request: web.Request, *keys: tuple[str, int]) -> float | None:
    """Counts one use on each key; the seconds to wait when one is over its limit."""
    limiter = public(request).limiter(purpose, *limit)
    wait, _ = limiter.reserve(*keys)
    return wait or None


def _too_many(form: str, wait: float) -> web.Response:
    return _error(form, 429, f"too many requests: try again in {int(wait)} s", {"Retry-After": str(int(wait))})


async def guarded(request: web.Request, handler: Any) -> web.Response:
    """A handler's GeoReportError as the spec's error body."""
    form = request.match_info.get("format", "json")
    try:
        response: web.Response = await handler(request)
        return response
    except fmt.GeoReportError as e:
        return _error(form, e.status, e.description)


async def services(request: web.Request) -> web.Response:
    form = _format(request)
    p = public(request)
    return _answer(form, 200, fmt.services(p.site, fmt.language(request.query)), "services", "service")


async def service_definition(request: web.Request) -> web.Response:
    form = _format(request)
    definition = fmt.service_definition(public(request).site, request.match_info["code"])
    return _answer(form, 200, definition, "service_definition", "attribute")


async def _client(request: web.Request, form: str, key: str) -> str | web.Response:
    """The key's client name, or the refusal to answer with."""
    if not key:
        return _error(form, 403, "api_key: required (ask the hotline's IT staff for one)")
    address = client_address(request)
    limiter = public(request).limiter("open311_keys", *GUESSES)
    wait, stamp = limiter.reserve((f"address:{address}", GUESSES[0]))
    if wait:
        return _too_many(form, wait)
    found = await asyncio.to_thread(api_keys.identify, public(request).db, key)
    if found is None:
        log.warning("open311: unknown api_key from %s", address)
        return _error(form, 403, "api_key: invalid")
    if stamp is not None:
        limiter.succeeded(stamp)  # a known key is no guess
    if not found.active:
        log.warning("open311: revoked api_key of %s used from %s", found.name, address)
        return _error(form, 403, "api_key: revoked")
    return found.name


async def post_request(request: web.Request) -> web.Response:
    form = _format(request)
    if (request.content_length or 0) > MAX_BODY:
        return _error(form, 413, f"request too large: at most {MAX_BODY // 1024} KB (send photos as media_url)")
    try:
        posted = await request.post()
    except ValueError:
        return _error(form, 400, "a form-encoded body (application/x-www-form-urlencoded)")
    values = {k: v for k, v in posted.items() if isinstance(v, str)}
    client = await _client(request, form, values.get("api_key") or request.query.get("api_key", ""))
    if isinstance(client, web.Response):
        return client
    wait = _limited("open311_posts", POSTS, request, (f"key:{client}", POSTS[0]),
                    (f"address:{client_address(request)}", POSTS[0] * 2))
    if wait:
        return _too_many(form, wait)
    p = public(request)
    lang = fmt.language({**values, **request.query})
    got = parse_post(values, p.site)
    now = utcnow()
    prefix = f"{p.site.hotline}-{now.replace(tzinfo=UTC).astimezone(ZoneInfo(p.site.timezone)):%y%m%d}-"
    new = open311_requests.NewRequest(got.field, got.area, got.address, got.summary, got.map_point, client,
                                      got.email, got.phone, got.first_name, got.last_name, got.device_id,
                                      got.account_id, got.media_url, lang)
    code = await asyncio.to_thread(open311_requests.create, p.db, new, prefix, now)
    log.info("open311: %s posted %s (%s)", client, code, got.field)
    made = await asyncio.to_thread(open311_requests.find, p.db, code)
    expected = fmt.expected_at(p.site, made) if made else None
    return _answer(form, 201, fmt.posted_view(p.site, code, got.field, expected, lang), "service_requests", "request")


def _read_allowed(request: web.Request, form: str) -> web.Response | None:
    wait = _limited("open311_reads", READS, request, (f"address:{client_address(request)}", READS[0]))
    return _too_many(form, wait) if wait else None


async def get_requests(request: web.Request) -> web.Response:
    form = _format(request)
    if refused := _read_allowed(request, form):
        return refused
    p = public(request)
    now = utcnow()
    f = fmt.parse_filters(request.query, p.site, now)
    found = await asyncio.to_thread(open311_requests.search, p.db, codes=f.codes, fields=f.fields, start=f.start,
                                    end=f.end, closed=f.closed, limit=fmt.MAX_RESULTS)
    lang = fmt.language(request.query)
    return _answer(form, 200, [fmt.request_view(p.site, r, lang, now) for r in found], "service_requests", "request")


async def get_request(request: web.Request) -> web.Response:
    form = _format(request)
    if refused := _read_allowed(request, form):
        return refused
    p = public(request)
    code = request.match_info["id"]
    found = await asyncio.to_thread(open311_requests.find, p.db, code) if len(code) <= 32 else None
    if found is None:
        return _error(form, 404, f"service_request_id {code!r} not found")
    view = fmt.request_view(p.site, found, fmt.language(request.query), utcnow())
    return _answer(form, 200, [view], "service_requests", "request")


def _wrap(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.Response:
        return await guarded(request, handler)
    return wrapped


def routes() -> list[web.RouteDef]:
    return [
        web.get(BASE + "/services.{format}", _wrap(services)),
        web.get(BASE + "/services/{code}.{format}", _wrap(service_definition)),
        web.get(BASE + "/requests.{format}", _wrap(get_requests)),
        web.post(BASE + "/requests.{format}", _wrap(post_request)),
        web.get(BASE + "/requests/{id}.{format}", _wrap(get_request)),
    ]

