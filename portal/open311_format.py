"""Open311 GeoReport v2 as tongdai answers it: what a client gets back is built here (JSON, or the
spec's XML) from the site and plain rows, and GET requests.json's filters are read (a POST's
fields are read in portal.open311). Pure: no server, no database, no clock (`now` comes in).

What a public answer shows of a request, and why:
- `description`: the summary with phone numbers, emails and the citizen's names hidden
  (privacy.redaction); the original stays internal.
- `address`: the ward/area's name, never the street address the citizen gave (an address can
  point at a person's home; GeoReport's field is kept, with a coarser meaning).
- `lat`/`long`: rounded to 3 decimals (about 100 m), for the same reason.
- `status`: `open` or `closed` (resolved or closed); the extended state is said in words in
  `status_notes` ("Đã chuyển cơ quan: Sở Xây dựng, hạn 12/12/2026 17:00").
- `expected_datetime`: the earliest deadline of the agencies still holding it; before it is
  forwarded, the deadline the field's policy gives from the time it was requested.
Times are ISO 8601 with the site's offset (2026-12-03T09:15:00+07:00).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from agencies.deadlines import DeadlineError, due, policy_for
from config import Site
from config.agency_settings import Deadline
from db.queries.open311_requests import DONE, Forward, PublicRequest
from privacy.redaction import redact

LANGUAGES = ("vi", "en")
DEFAULT_DAYS = 90  # GET requests.json without dates: the last 90 days (the spec's default)
MAX_RESULTS = 1000  # the spec's suggested ceiling
_UNITS = {"working_days": ("ngày làm việc", "working days"), "working_hours": ("giờ làm việc", "working hours"),
          "hours": ("giờ", "hours")}


class GeoReportError(ValueError):
    """A request refused: the HTTP status and the description the error body carries."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def errors(status: int, description: str) -> list[dict[str, Any]]:
    """The spec's error body: a list of {code, description}."""
    return [{"code": status, "description": description}]


def language(query: Mapping[str, str]) -> str:
    """`lang=en` or `locale=en_US` (a client's own parameter); Vietnamese otherwise."""
    chosen = (query.get("lang") or query.get("locale") or "").lower()[:2]
    return chosen if chosen in LANGUAGES else "vi"


def iso(at: datetime | None, tz: ZoneInfo) -> str | None:
    """A stored time (naive UTC) or an aware one, as ISO 8601 with the site's offset."""
    if at is None:
        return None
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return aware.astimezone(tz).isoformat(timespec="seconds")


def _day_time(at: datetime, tz: ZoneInfo) -> str:
    return at.replace(tzinfo=UTC).astimezone(tz).strftime("%d/%m/%Y %H:%M")


def _policy_text(d: Deadline, lang: str) -> str:
    unit = _UNITS.get(d.unit, (d.unit, d.unit))[0 if lang == "vi" else 1]
    return f"{d.amount} {unit}"


# --- services ------------------------------------------------------------------------------

def services(site: Site, lang: str) -> list[dict[str, Any]]:
    """The site's report fields as Open311 services (no extra attributes: metadata false)."""
    queues = {q.name: q for q in site.queues}
    out = []
    for f in site.fields:
        name, other = (f.vi, f.en) if lang == "vi" else (f.en, f.vi)
        queue = queues.get(site.queue_for(f.key))
        limit = _policy_text(policy_for(site.agencies, f.key, None), lang)
        description = (f"Phản ánh, kiến nghị về {name.lower()}; thời hạn xử lý {limit}" if lang == "vi"
                       else f"Reports about {name.lower()}; time to handle: {limit}")
        out.append({"service_code": f.key, "service_name": name, "description": description, "metadata": False,
                    "type": "realtime", "keywords": f"{f.key}, {other}",
                    "group": (queue.vi if lang == "vi" else queue.en) if queue else ""})
    return out


def service_definition(site: Site, code: str) -> dict[str, Any]:
    if code not in {f.key for f in site.fields}:
        raise GeoReportError(404, f"service_code {code!r} not found (GET services.json lists them)")
    return {"service_code": code, "attributes": []}


# --- what a client asks for: GET requests.json's filters --------------------------------------

@dataclass(frozen=True)
class Filters:
    codes: tuple[str, ...]
    fields: tuple[str, ...]
    start: datetime | None  # naive UTC
    end: datetime | None
    closed: bool | None


def _list(query: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in (query.get(name) or "").split(",") if v.strip()))


def _instant(query: Mapping[str, str], name: str, tz: ZoneInfo) -> datetime | None:
    text = (query.get(name) or "").strip()
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise GeoReportError(400, f"{name}: ISO 8601, e.g. 2026-12-01T00:00:00+07:00") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)  # no offset given: the site's time
    return at.astimezone(UTC).replace(tzinfo=None)


def parse_filters(query: Mapping[str, str], site: Site, now: datetime) -> Filters:
    """GET requests.json's filters. service_request_id overrides the others (the spec's rule);
    without it and without dates, the last 90 days. `now`: naive UTC."""
    codes = _list(query, "service_request_id")
    if len(codes) > MAX_RESULTS:
        raise GeoReportError(400, f"service_request_id: at most {MAX_RESULTS}")
    if codes:
        return Filters(codes, (), None, None, None)
    fields = _list(query, "service_code")
    unknown = [f for f in fields if f not in {x.key for x in site.fields}]
    if unknown:
        raise GeoReportError(400, f"service_code {unknown[0]!r} not found (GET services.json lists them)")
    tz = ZoneInfo(site.timezone)
    start, end = _instant(query, "start_date", tz), _instant(query, "end_date", tz)
    if start is None and end is None:
        start = now - timedelta(days=DEFAULT_DAYS)
    if start is not None and end is not None and end < start:
        raise GeoReportError(400, "end_date: before start_date")
    states = set(_list(query, "status"))
    if states - {"open", "closed"}:
        raise GeoReportError(400, "status: open, closed or both (comma-separated)")
    closed = None if len(states) != 1 else states == {"closed"}
    return Filters((), fields, start, end, closed)


# --- what a client gets back -----------------------------------------------------------------

def _open(forwards: Sequence[Forward]) -> list[Forward]:
    return [f for f in forwards if f.processing != "closed"]


def _names(forwards: Sequence[Forward]) -> str:
    return ", ".join(dict.fromkeys(f.agency_name for f in forwards))


def _forward_note(f: Forward, now: datetime, lang: str, tz: ZoneInfo) -> str:
    vi = lang == "vi"
    when = _day_time(f.deadline_at, tz)
    late = (" (quá hạn)" if vi else " (overdue)") if now > f.deadline_at else ""
    if f.processing == "answered":
        return f"{f.agency_name} đã trả lời, đang chờ duyệt" if vi else f"answered by {f.agency_name}, under review"
    if f.processing == "rejected":
        return (f"{f.agency_name} đề nghị chuyển cơ quan khác, đang xem xét" if vi
                else f"{f.agency_name} asked for another agency; being rerouted")
    text = f"Đã chuyển cơ quan: {f.agency_name}, hạn {when}{late}" if vi else \
        f"Forwarded to {f.agency_name}, due {when}{late}"
    if f.processing == "extension_requested":
        text += "; cơ quan xin gia hạn" if vi else "; the agency asked for more time"
    return text


def status_notes(r: PublicRequest, now: datetime, lang: str, tz: ZoneInfo) -> str:
    """The extended status in words (`now` naive UTC)."""
    vi = lang == "vi"
    approved = [f for f in r.forwards if f.review == "approved"]
    if r.status == "resolved":
        if approved:
            names = _names(approved)
            return f"Đã giải quyết: {names} đã trả lời" if vi else f"Resolved: answered by {names}"
        return "Đã giải quyết" if vi else "Resolved"
    if r.status in DONE:
        return "Đã đóng" if vi else "Closed"
    pending = _open(r.forwards)
    if pending:
        return "; ".join(_forward_note(f, now, lang, tz) for f in pending)
    return ("Đã tiếp nhận, đang chờ phân loại và chuyển cơ quan xử lý" if vi
            else "Received; waiting to be triaged and forwarded to an agency")


def expected_at(site: Site, r: PublicRequest) -> datetime | None:
    """When it should be handled: the earliest deadline of the agencies holding it; before any
    forward, the field's deadline policy from the request's time. None once closed."""
    if r.status in DONE:
        return None
    pending = _open(r.forwards)
    if pending:
        return min(f.deadline_at for f in pending).replace(tzinfo=UTC)
    try:
        return due(r.created_at.replace(tzinfo=UTC), policy_for(site.agencies, r.field, None), site)
    except DeadlineError:
        return None


def _point(map_point: str | None) -> tuple[float | None, float | None]:
    try:
        lat, lon = (round(float(x), 3) + 0.0 for x in (map_point or "").split(","))
    except ValueError:
        return None, None
    return lat, lon


def service_notice(site: Site, field: str, lang: str) -> str:
    limit = _policy_text(policy_for(site.agencies, field, None), lang)
    return f"Thời hạn xử lý theo quy định: {limit}" if lang == "vi" else f"Time to handle under the rules: {limit}"


def request_view(site: Site, r: PublicRequest, lang: str, now: datetime) -> dict[str, Any]:
    """One request as a public GET shows it (no personal data: see the module's note)."""
    tz = ZoneInfo(site.timezone)
    field = next((f for f in site.fields if f.key == r.field), None)
    area = next((a for a in site.areas if a.key == r.area), None)
    pending = _open(r.forwards)
    holders = pending or [f for f in r.forwards if f.review == "approved"][-1:]
    lat, lon = _point(r.map_point)
    return {
        "service_request_id": r.code,
        "status": "closed" if r.status in DONE else "open",
        "status_notes": status_notes(r, now, lang, tz),
        "service_name": (field.vi if lang == "vi" else field.en) if field else r.field,
        "service_code": r.field,
        "description": redact(r.summary or "", r.names, lang),
        "agency_responsible": _names(holders) or None,
        "service_notice": service_notice(site, r.field, lang),
        "requested_datetime": iso(r.created_at, tz),
        "updated_datetime": iso(r.updated_at, tz),
        "expected_datetime": iso(expected_at(site, r), tz),
        "address": (area.vi if lang == "vi" else area.en) if area else None,
        "address_id": r.area,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": r.media_url,
    }


def posted_view(site: Site, code: str, field: str, expected: datetime | None, lang: str) -> list[dict[str, Any]]:
    """POST requests.json's answer: the new ticket's code and what the client may tell the citizen."""
    tz = ZoneInfo(site.timezone)
    notice = service_notice(site, field, lang)
    if expected is not None:
        when = _day_time(expected.astimezone(UTC).replace(tzinfo=None), tz)
        notice += f"; dự kiến trước {when}" if lang == "vi" else f"; expected by {when}"
    return [{"service_request_id": code, "service_notice": notice, "account_id": None}]


# --- encodings -------------------------------------------------------------------------------

def _xml_add(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_add(element, name[:-1] if name.endswith("s") else "item", item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_add(element, k, v)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def encode(fmt: str, payload: list[dict[str, Any]] | dict[str, Any], root: str, item: str) -> tuple[bytes, str]:
    """The body and its content type: JSON as it is, or XML as the spec's examples nest it
    (<services><service>…, <service_requests><request>…, <errors><error>…)."""
    if fmt == "xml":
        top = ET.Element(root)
        for entry in payload if isinstance(payload, list) else [payload]:
            target = ET.SubElement(top, item) if isinstance(payload, list) else top
            for k, v in entry.items():
                _xml_add(target, k, v)
        return ET.tostring(top, encoding="utf-8", xml_declaration=True), "text/xml"
    return json.dumps(payload, ensure_ascii=False).encode(), "application/json"
