"""Forwarding in the console (the 1022 side): the site's agencies, the suggested ones for a ticket,
forward to one or more agencies, the ticket's assignments, reroute after a rejection, the
supervisor's review of an answer, what the supervisor shares with an agency (the call's recording,
the caller's number) and the decision on its request for more time (the agency is emailed).

Who: an agent forwards and reroutes the tickets they may see (their own), a supervisor any; only
a supervisor reviews (admin may do everything). Refusals say why in the reader's language
(`error`, from the `forwarding.err_<code>` messages) with the reason's `code` for scripts, and
write nothing. The agencies are those in the database (the site file's, synced at the engine's
start, and any added by hand), active ones only.
"""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from agencies import forwarding as rules
from agencies.deadlines import DeadlineError, due, policy_for
from agencies.reminders import step_due
from agencies.routing import suggest
from config import Site
from db.clock import utcnow
from db.queries import agencies as stored_agencies
from db.queries import agency_shares as shares
from db.queries import assignments as stored
from db.queries import tickets as stored_tickets
from db.queries.agencies import AgencyView
from db.types import Database
from notify.outbox import wake_all
from web.accounts import UserView
from web.context import USER, console
from web.guard import allow, body, fail, ident
from web.language import catalog, language_of

FORWARDERS = ("agent", "supervisor")
REVIEWERS = ("supervisor",)
READERS = ("agent", "supervisor", "callback", "leader")
MAX_NOTE = 2000
MAX_AGENCIES = 20
_STATUS = {"not_found": 404, "no_ticket": 404, "not_yours": 403, "already_forwarded": 409, "not_rejected": 409,
           "not_answered": 409, "no_request": 409}
DATE_FORMAT = "%d/%m/%Y %H:%M"  # how people type a deadline (the site's time)


class Refused(Exception):
    def __init__(self, code: str, agency: str | None = None, name: str | None = None):
        super().__init__(code)
        self.code, self.agency, self.name = code, agency, name or agency


def _say(request: web.Request, e: Refused) -> web.HTTPException:
    words = catalog(language_of(request), console(request).site)
    text = words.get(f"forwarding.err_{e.code}", e.code)
    return fail(_STATUS.get(e.code, 400), text.replace("{agency}", e.name or ""), code=e.code,
                **({"agency": e.agency} if e.agency else {}))


def _active(db: Database) -> dict[str, AgencyView]:
    return {a.key: a for a in stored_agencies.every(db, active_only=True)}


def _ticket(db: Database, user: UserView, code: str) -> dict[str, Any]:
    try:
        return stored_tickets.load(db, code, user.role, user.extension)
    except stored_tickets.TicketNotFound:
        raise Refused("no_ticket") from None
    except stored_tickets.NotYourTicket:
        raise Refused("not_yours") from None


def _status_of(pairs: list[tuple[str, str | None]]) -> str | None:
    return rules.ticket_status([rules.AssignmentState(p, r) for p, r in pairs])


def _label(labels: Any, key: str | None) -> str:
    return next((x.vi for x in labels if x.key == key), key or "-")


def _targets(site: Site, ticket: dict[str, Any], chosen: list[AgencyView], now: datetime) -> tuple[stored.Target, ...]:
    """Each agency's deadline under the site's policy, and what its active contacts are told."""
    tz = ZoneInfo(site.timezone)
    out = []
    for a in chosen:
        due_local = due(now.replace(tzinfo=UTC).astimezone(tz), policy_for(site.agencies, ticket["field"], a.key), site)
        notice = rules.forward_notice(site.hotline, ticket["code"], _label(site.fields, ticket["field"]),
                                      _label(site.areas, ticket.get("area")), ticket.get("summary") or "",
                                      ticket.get("_note", ""), due_local.strftime("%H:%M %d/%m/%Y"), a.name)
        recipients = [r for c in a.contacts if c.active for r in
                      ((stored.Recipient("email", c.email, c.id),) if c.email else ())
                      + ((stored.Recipient("sms", c.mobile, c.id),) if c.mobile else ())]
        out.append(stored.Target(a.key, due_local.astimezone(UTC).replace(tzinfo=None), notice.subject,
                                 notice.email, notice.sms, tuple(recipients)))
    return tuple(out)


def _forward(db: Database, site: Site, user: UserView, code: str, keys: list[str], note: str,
             replacing: int | None = None) -> None:
    ticket = _ticket(db, user, code)
    rows = stored.of_ticket(db, code)
    if replacing is not None:
        old = next((r for r in rows if r.id == replacing), None)
        if old is None or old.processing != "rejected":
            raise Refused("not_rejected")
    agencies = _active(db)
    holding = [r.agency for r in rows if r.processing != "closed" and r.id != replacing]
    try:
        chosen = rules.check_targets({k: a.data() for k, a in agencies.items()}, keys, ticket.get("field"),
                                     ticket.get("area"), bool(site.areas), holding)
    except rules.ForwardRefused as e:
        raise Refused(e.code, e.agency, agencies[e.agency].name if e.agency in agencies else None) from None
    now = utcnow()
    link = (site.notify.public_url or f"http://{site.ports.bind}:{site.ports.web}") + "/a/"
    f = stored.Forward(code, user.username, note, now, _targets(site, {**ticket, "_note": note},
                                                                    [agencies[a.key] for a in chosen], now),
                       link, site.agencies.link_hours)
    try:
        if replacing is None:
            stored.forward(db, f, _status_of)
        else:
            stored.reroute(db, replacing, f, _status_of)
    except stored.AssignmentError as e:
        raise Refused(e.code) from None
    wake_all()  # the outbox sends the notifications now, not at its next poll


def _listing(db: Database, site: Site, user: UserView, code: str) -> dict[str, Any]:
    ticket = _ticket(db, user, code)
    now, names = utcnow(), {a.key: a.name for a in stored_agencies.every(db)}
    return {"ticket": code, "status": ticket["status"], "field": ticket.get("field"), "area": ticket.get("area"),
            "can_forward": user.role in FORWARDERS + ("admin",), "can_review": user.role in REVIEWERS + ("admin",),
            "assignments": [{**r.as_dict(now), "agency_name": names.get(r.agency, r.agency)}
                            for r in stored.of_ticket(db, code)]}


async def _run(request: web.Request, fn: Any, *args: Any) -> Any:
    try:
        return await asyncio.to_thread(fn, *args)
    except Refused as e:
        raise _say(request, e) from None


def _keys(data: dict[str, Any]) -> list[str]:
    keys = data.get("agencies")
    if not isinstance(keys, list) or len(keys) > MAX_AGENCIES or not all(isinstance(k, str) for k in keys):
        raise fail(400, f"agencies: a list of up to {MAX_AGENCIES} agency keys", code="invalid")
    return keys


def _note(data: dict[str, Any], name: str = "note") -> str:
    value = data.get(name) or ""
    if not isinstance(value, str) or len(value) > MAX_NOTE:
        raise fail(400, f"{name}: text up to {MAX_NOTE} characters", code="invalid")
    return value.strip()


@allow(*READERS)
async def list_agencies(request: web.Request) -> web.Response:
    views = await asyncio.to_thread(_active, console(request).db)
    return web.json_response({"agencies": [{"key": a.key, "name": a.name, "kind": a.kind, "fields": list(a.fields),
                                            "areas": list(a.areas)} for a in views.values()]})


def _suggested(db: Database, site: Site, user: UserView, code: str) -> dict[str, Any]:
    ticket = _ticket(db, user, code)
    settings = dataclasses.replace(site.agencies, agencies=tuple(a.data() for a in _active(db).values()))
    found = suggest(settings, ticket["field"], ticket.get("area")) if ticket.get("field") else []
    return {"field": ticket.get("field"), "area": ticket.get("area"),
            "agencies": [{"key": a.key, "name": a.name} for a in found]}


@allow(*FORWARDERS)
async def suggested(request: web.Request) -> web.Response:
    c = console(request)
    return web.json_response(await _run(request, _suggested, c.db, c.site, request[USER], request.match_info["code"]))


@allow(*READERS)
async def list_assignments(request: web.Request) -> web.Response:
    c = console(request)
    return web.json_response(await _run(request, _listing, c.db, c.site, request[USER], request.match_info["code"]))


@allow(*FORWARDERS)
async def forward(request: web.Request) -> web.Response:
    c, user, code = console(request), request[USER], request.match_info["code"]
    data = await body(request)
    await _run(request, _forward, c.db, c.site, user, code, _keys(data), _note(data))
    return web.json_response(await _run(request, _listing, c.db, c.site, user, code), status=201)


@allow(*FORWARDERS)
async def reroute(request: web.Request) -> web.Response:
    c, user, aid = console(request), request[USER], ident(request, what="assignment id")
    data = await body(request)
    agency = data.get("agency")
    if not isinstance(agency, str):
        raise fail(400, "agency: the key of the agency to forward to instead", code="invalid")
    row = await asyncio.to_thread(stored.get, c.db, aid)
    if row is None:
        raise _say(request, Refused("not_found"))
    await _run(request, _forward, c.db, c.site, user, row.ticket, [agency], _note(data), aid)
    return web.json_response(await _run(request, _listing, c.db, c.site, user, row.ticket), status=201)


def _review(db: Database, site: Site, user: UserView, aid: int, decision: str, comment: str) -> str:
    row = stored.get(db, aid)
    if row is None:
        raise Refused("not_found")
    try:
        stored.review(db, aid, decision, comment, user.username, utcnow(), _status_of,
                      lambda answer: rules.reply_sms(site.hotline, row.ticket, answer))
    except stored.AssignmentError as e:
        raise Refused(e.code) from None
    wake_all()
    return row.ticket


@allow(*REVIEWERS)
async def review(request: web.Request) -> web.Response:
    c, user, aid = console(request), request[USER], ident(request, what="assignment id")
    data = await body(request)
    decision, comment = data.get("decision"), _note(data, "comment")
    if decision not in ("approve", "return"):
        raise fail(400, "decision: approve or return", code="invalid")
    if decision == "return" and not comment:
        raise _say(request, Refused("comment_required"))
    code = await _run(request, _review, c.db, c.site, user, aid, decision, comment)
    return web.json_response(await _run(request, _listing, c.db, c.site, user, code))


@allow(*REVIEWERS)
async def share(request: web.Request) -> web.Response:
    """Share (or stop sharing) the call's recording or the caller's number with the agency."""
    c, user, aid = console(request), request[USER], ident(request, what="assignment id")
    data = await body(request)
    what, shared = data.get("what"), data.get("shared")
    if what not in shares.SHARES or not isinstance(shared, bool):
        raise fail(400, "what: recording or caller; shared: true or false", code="invalid")
    try:
        await asyncio.to_thread(shares.share, c.db, aid, what, shared, user.username, utcnow())
    except stored.AssignmentError as e:
        raise _say(request, Refused(e.code)) from None
    row = await asyncio.to_thread(stored.get, c.db, aid)
    return web.json_response(await _run(request, _listing, c.db, c.site, user, row.ticket if row else ""))


def _deadline(site: Site, text: str) -> datetime:
    """dd/mm/yyyy HH:mm (or ISO) in the site's time -> naive UTC."""
    try:
        at = datetime.strptime(text.strip(), DATE_FORMAT)
    except ValueError:
        try:
            at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Refused("bad_until") from None
    at = at if at.tzinfo else at.replace(tzinfo=ZoneInfo(site.timezone))
    return at.astimezone(UTC).replace(tzinfo=None)


def extension_notice(hotline: str, code: str, agency: str, grant: bool, deadline: str,
                     comment: str) -> tuple[str, str, str]:
    """The agency's email (subject, body, and a short SMS text) on 1022's decision, in Vietnamese."""
    said = "đồng ý" if grant else "không đồng ý"
    subject = f"[{hotline}] Phiếu {code}: {said} gia hạn"
    outcome = f"Hạn xử lý mới: {deadline}." if grant else f"Hạn xử lý vẫn là {deadline}."
    email = (f"Kính gửi {agency},\n\nTổng đài {hotline} {said} gia hạn xử lý phiếu {code}. {outcome}\n"
             + (f"{'Ghi chú' if grant else 'Lý do'}: {comment}\n" if comment else "")
             + "\nXem vụ việc tại (liên kết dùng một lần): {link}\n")
    return subject, email, f"{hotline}: {said} gia hạn phiếu {code}. {outcome} Xem: {{link}}"


def _extension(db: Database, site: Site, user: UserView, aid: int, decision: str, until: str, comment: str) -> str:
    row, now = stored.get(db, aid), utcnow()
    if row is None:
        raise Refused("not_found")
    if row.processing != "extension_requested":
        raise Refused("no_request")
    new = (_deadline(site, until) if until else row.extension_until) if decision == "grant" else None
    if decision == "grant" and new is None:
        raise Refused("until_required")
    if new is not None and new <= now:
        raise Refused("bad_until")
    agency = next((a for a in stored_agencies.every(db) if a.key == row.agency), None)
    recipients = tuple(stored.Recipient("email", c.email, c.id) for c in (agency.contacts if agency else ())
                       if c.active and c.email)
    shown = (new or row.deadline_at).replace(tzinfo=UTC).astimezone(ZoneInfo(site.timezone)).strftime(DATE_FORMAT)
    texts = extension_notice(site.hotline, row.ticket, agency.name if agency else row.agency, decision == "grant",
                             shown, comment)
    link = (site.notify.public_url or f"http://{site.ports.bind}:{site.ports.web}") + "/a/"
    # the reminders count again towards the new deadline, from the forward; a step already passed
    # under it is marked sent, so a grant is not followed at once by a "half the time" reminder
    try:
        passed = step_due(site, field=_ticket(db, user, row.ticket).get("field"), agency=row.agency,
                          created_at=row.created_at, deadline_at=new, now=now, reminded=0) if new else None
    except DeadlineError:  # a date beyond the office-hours horizon (years away): no step has passed
        passed = None
    try:
        code = shares.decide_extension(db, shares.Decision(aid, decision, new, comment, user.username, now, texts,
                                                           recipients, link, site.agencies.link_hours, passed or 0))
    except stored.AssignmentError as e:
        raise Refused(e.code) from None
    wake_all()
    return code


@allow(*REVIEWERS)
async def extension(request: web.Request) -> web.Response:
    """Grant more time (the proposed deadline or the one given) or refuse it with a comment."""
    c, user, aid = console(request), request[USER], ident(request, what="assignment id")
    data = await body(request)
    decision, comment, until = data.get("decision"), _note(data, "comment"), data.get("until") or ""
    if decision not in shares.DECISIONS or not isinstance(until, str):
        raise fail(400, "decision: grant or refuse; until: dd/mm/yyyy HH:mm", code="invalid")
    if decision == "refuse" and not comment:
        raise _say(request, Refused("reason_required"))
    code = await _run(request, _extension, c.db, c.site, user, aid, decision, until, comment)
    return web.json_response(await _run(request, _listing, c.db, c.site, user, code))


def routes() -> list[web.RouteDef]:
    return [web.get("/api/agencies", list_agencies), web.get("/api/tickets/{code}/suggest", suggested),
            web.post("/api/tickets/{code}/forward", forward),
            web.get("/api/tickets/{code}/assignments", list_assignments),
            web.post("/api/assignments/{id}/reroute", reroute), web.post("/api/assignments/{id}/review", review),
            web.post("/api/assignments/{id}/share", share), web.post("/api/assignments/{id}/extension", extension)]
