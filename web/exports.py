"""Exports of the processing record (issue 16): one ticket's whole record as a printable PDF, and a
period's tickets and assignments as XLSX or CSV written in the background while the page shows
the progress. Every export is audited.

The words come from here (the reader's catalog: Vietnamese unless they chose English); the
layouts are exports/'s, which receive plain data and know no language.
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import date, datetime
from typing import Any

from aiohttp import web

from acd.stats import day_bounds
from config import Site
from config.local_time import parse_day
from db import store
from db.clock import utcnow
from db.queries import agencies as stored_agencies
from db.queries import assignments as stored_assignments
from db.queries import exports as period
from db.queries.assignments import AssignmentRow
from db.types import Database
from exports import period_csv
from exports.jobs import Busy, Job, Jobs
from exports.ticket_record import RecordAssignment, TicketRecord
from web.accounts import UserView
from web.context import USER, console
from web.guard import allow, body, fail
from web.language import catalog, language_of
from web.story import describe_ticket, point_text
from web.teller import Teller
from web.tickets import READERS, load

log = logging.getLogger("tongdai.web")
BULK = ("supervisor", "leader")  # and admin
MAX_DAYS = 366
BATCH = 500  # tickets read and written at a time

def _xlsx(*args: Any, **kw: Any) -> Any:
    from exports import period_xlsx  # openpyxl (16 MB) is loaded by the first spreadsheet, not at start
    return period_xlsx.write(*args, **kw)


WRITERS = {"xlsx": _xlsx, "csv": period_csv.write}
TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8"}
_jobs: weakref.WeakKeyDictionary[web.Application, Jobs] = weakref.WeakKeyDictionary()


# ---- one ticket's record as PDF ----

def _assignment(tell: Teller, a: AssignmentRow, n: int, names: dict[str, str], now: datetime) -> RecordAssignment:
    t, label = tell.t, tell.label

    def when(at: datetime | None) -> str:
        return tell.when(at.isoformat() + "Z") if at else "—"

    def by(at: datetime | None, who: str | None) -> str:
        return f"{when(at)} · {who}" if at and who else when(at)

    processing = label("fwd.processing", a.processing)
    if a.reason:
        processing += " · " + t("fwd.reason", reason=a.reason)
    if a.suggested_agency:
        processing += " · " + t("fwd.suggested_agency", agency=names.get(a.suggested_agency, a.suggested_agency))
    late = t("export.yes" if a.late else "export.no") if a.late is not None else (
        t("record.overdue_open") if a.overdue(now) else "—")
    review = label("export.review", a.review)
    if a.reviewed_at:
        review += " · " + by(a.reviewed_at, a.reviewed_by)
    if a.review_comment:
        review += " · " + a.review_comment
    heading = f"{n}. {names.get(a.agency, a.agency)}"
    if a.replaces:
        heading += f" ({t('fwd.replaces', id=a.replaces)})"
    delivery = label("fwd.delivery", a.delivery) + (f" · {a.delivery_reason}" if a.delivery_reason else "")
    return RecordAssignment(heading, [
        (t("record.forwarded"), by(a.created_at, a.created_by)), (t("record.note"), a.note or "—"),
        (t("fwd.deadline"), when(a.deadline_at)), (t("fwd.delivery"), delivery), (t("fwd.processing"), processing),
        (t("record.answered"), by(a.answered_at, a.answered_by)), (t("record.late"), late),
        (t("record.review"), review), (t("record.closed"), when(a.closed_at))], t("record.answer"), a.answer)


def ticket_record(db: Database, site: Site, user: UserView, code: str, lang: str) -> TicketRecord:
    """Everything the PDF says, worded: the ticket as its page shows it (the timeline's sentences
    are the page's own), its assignments with the agencies' names, who exported it and when."""
    record = describe_ticket(load(db, user, code), site, lang)
    tell, now = Teller(site, lang), utcnow()
    t, label = tell.t, tell.label
    names = {a.key: a.name for a in stored_agencies.every(db)}
    rows = stored_assignments.of_ticket(db, code)

    def text(value: Any) -> str:
        return "—" if value is None or value == "" else str(value)

    facts = [(t("record.code"), code), (t("story.entry.status"), label("status", record.get("status"))),
             (t("ticket.kind"), label("kind", record.get("kind"))),
             (t("story.entry.field"), label("field", record.get("field"))),
             (t("story.entry.area"), label("area", record.get("area"))),
             (t("story.entry.address"), text(record.get("address"))),
             (t("story.entry.map_point"), text(point_text(record.get("map_point")))),
             (t("story.entry.summary"), text(record.get("summary"))),
             (t("ticket.created"), tell.when(record["created_at"])),
             (t("ticket.closed"), tell.when(record["closed_at"]) if record.get("closed_at") else "—"),
             (t("ticket.caller"), text(record.get("caller_number"))),  # for 1022's staff: agencies never get here
             (t("story.entry.caller_name"), text(record.get("caller_name"))),
             (t("record.reply_by"), label("export.reply_by", record.get("reply_by"))),
             (t("ticket.agent"), text(record.get("agent"))),
             (t("record.path"), text(record.get("ivr_path_text"))),
             (t("record.recordings"), "; ".join(
                 ", ".join([label("rec_kind", r["kind"]), *([f"{r['duration_s']} s"] if r.get("duration_s") else []),
                            label("rec_status", r["status"])]) for r in record.get("recordings") or []) or "—")]
    exported = tell.when(now.isoformat() + "Z")
    return TicketRecord(
        title=t("record.title", code=code), subtitle=t("record.subtitle", hotline=site.hotline,
                                                        province=site.province), facts=facts,
        assignments_heading=t("fwd.title"),
        assignments=[_assignment(tell, a, n, names, now) for n, a in enumerate(rows, start=1)],
        no_assignments=t("fwd.none"), timeline_heading=t("record.timeline"),
        timeline_columns=(t("record.when"), t("record.what")),
        timeline=[(tell.when(e["at"]), e["text"]) for e in record.get("events") or []],
        no_events=t("ticket.no_events"), footer=t("record.footer", at=exported, by=user.username),
        page_word=t("record.page"), keywords=[code])


def _pdf(db: Database, site: Site, user: UserView, code: str, lang: str) -> bytes:
    from exports.ticket_pdf import render  # fpdf (some 30 MB) is loaded by the first record, not at start
    pdf = render(ticket_record(db, site, user, code, lang))
    store.add_audit(db, user.username, "export", code, None, {"via": "pdf"})
    return pdf


@allow(*READERS)  # an agency's account is refused: the record carries the caller's number
async def ticket_pdf(request: web.Request) -> web.Response:
    c, code = console(request), request.match_info["code"]
    pdf = await asyncio.to_thread(_pdf, c.db, c.site, request[USER], code, language_of(request))
    return web.Response(body=pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{code}.pdf"'})


# ---- a period as XLSX / CSV, in the background ----

def jobs_of(app: web.Application, site: Site) -> Jobs:
    """The app's export jobs (made on first use; files left by an earlier run are removed)."""
    if app not in _jobs:
        folder = site.paths.data / "exports"
        for old in folder.glob("*") if folder.is_dir() else ():
            old.unlink(missing_ok=True)
        _jobs[app] = Jobs(folder)
    return _jobs[app]


def period_of(data: dict[str, Any]) -> tuple[date, date, str]:
    """The body's days and format, checked: 400 with a code the page says in words."""
    days = []
    for name in ("from", "to"):
        try:
            days.append(parse_day(str(data.get(name) or "")))
        except ValueError:
            raise fail(400, f"{name}: a date dd/mm/yyyy (or YYYY-MM-DD)", code="bad_date") from None
    first, last = days
    if last < first:
        raise fail(400, "to: on or after from", code="export_order")
    if (last - first).days + 1 > MAX_DAYS:
        raise fail(400, f"a period of at most {MAX_DAYS} days", code="export_too_long", days=MAX_DAYS)
    fmt = data.get("format")
    if fmt not in WRITERS:
        raise fail(400, f"format: one of {', '.join(WRITERS)}", code="export_format")
    return first, last, str(fmt)


def _write(c: Any, jobs: Jobs, job: Job, first: date, last: date, names: dict[str, str]) -> None:
    tz = c.site.timezone
    start, end = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    jobs.total(job.id, period.count_period(c.db, start, end))
    batches = period.period_batches(c.db, start, end, utcnow(), BATCH)
    written = WRITERS[job.fmt](job.path, batches, names, tz, lambda n: jobs.progress(job.id, n))
    jobs.total(job.id, written)  # tickets created while it ran may have joined the count
    store.add_audit(c.db, job.owner, "export_period", None, None,
                    {"from": first.isoformat(), "to": last.isoformat(), "format": job.fmt, "tickets": written})


async def _run(c: Any, jobs: Jobs, job: Job, first: date, last: date, names: dict[str, str]) -> None:
    try:
        await asyncio.to_thread(_write, c, jobs, job, first, last, names)
    except Exception as e:  # the page says it failed; the log says why
        log.exception("export %s (%s %s..%s) failed", job.id, job.fmt, first, last)
        jobs.fail(job.id, str(e).splitlines()[0] if str(e) else type(e).__name__)
    else:
        jobs.finish(job.id)


@allow(*BULK)
async def start_export(request: web.Request) -> web.Response:
    c, user = console(request), request[USER]
    first, last, fmt = period_of(await body(request))
    jobs = jobs_of(request.app, c.site)
    name = f"tongdai-{first:%Y%m%d}-{last:%Y%m%d}.{fmt}"
    try:
        job = jobs.start(user.username, fmt, name)
    except Busy as e:
        raise fail(409, str(e), code="export_busy") from None
    task = asyncio.create_task(_run(c, jobs, job, first, last, catalog(language_of(request), c.site)))
    c.jobs.add(task)
    task.add_done_callback(c.jobs.discard)
    return web.json_response(job.view(), status=202)


def _own(request: web.Request) -> Job:
    """The job of this id, if this user asked for it (admin: any); else 404 (ids are not probed)."""
    user = request[USER]
    job = jobs_of(request.app, console(request).site).get(request.match_info["id"])
    if job is None or (job.owner != user.username and user.role != "admin"):
        raise fail(404, "no such export (or it has expired)", code="no_export")
    return job


@allow(*BULK)
async def export_state(request: web.Request) -> web.Response:
    job = _own(request)
    out = job.view()
    if job.state == "done":
        out["file"] = f"/api/exports/{job.id}/file"
        out["filename"] = job.filename
    return web.json_response(out)


@allow(*BULK)
async def export_file(request: web.Request) -> web.StreamResponse:
    job = _own(request)
    if job.state != "done" or not job.path.is_file():
        raise fail(409, f"the export is {job.state}", code="export_not_ready")
    return web.FileResponse(job.path, headers={"Content-Type": TYPES[job.fmt],
                                               "Content-Disposition": f'attachment; filename="{job.filename}"'})


def routes() -> list[web.RouteDef]:
    return [web.get("/api/tickets/{code}/record.pdf", ticket_pdf), web.post("/api/exports", start_export),
            web.get("/api/exports/{id}", export_state), web.get("/api/exports/{id}/file", export_file)]
