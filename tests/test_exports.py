"""Exports of the processing record (issue 16, part 7): one ticket's record as a PDF read back with
poppler's pdftotext (Vietnamese with its diacritics, the code, the agency, the timeline's
sentences), a period's tickets and assignments as XLSX (opened with openpyxl) and CSV (parsed),
written in the background with their progress; the refusals; and a bulk export run through the
tickets page in Chromium, its file downloaded and opened."""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import Audit, Ticket
from db.queries import agencies as stored_agencies
from db.queries.exports import ExportAssignment, ExportBatch, ExportTicket
from exports import period_csv, period_xlsx
from exports.jobs import Busy, Jobs
from tests.harness.pdf import pdf_text
from tests.harness.browser import browser, login, page, shot, too_wide
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole, add_ticket
from web import accounts
from web import exports as web_exports
from web.language import catalog

CODE = "1022-261126-0101"  # urban order in Hải Châu, answered by agent 101 (lan)
QUIET = "1022-261126-0102"  # never forwarded
AGENCY = "Ủy ban nhân dân quận Hải Châu"


def days(tz: str) -> tuple[str, str]:
    """A period around today in the site's zone (yesterday to tomorrow): every ticket made now is in it."""
    today = datetime.now(ZoneInfo(tz)).date()
    return (today - timedelta(days=1)).strftime("%d/%m/%Y"), (today + timedelta(days=1)).strftime("%d/%m/%Y")


def seed(served: ServedConsole) -> None:
    db = served.db
    stored_agencies.sync(db, served.site.agencies)
    accounts.add_user(db, "haichau", "agency", PASSWORD, name="Cán bộ Hải Châu", agency="ubnd_hai_chau")
    add_ticket(db, served.site.paths.recordings, CODE, "101", field="urban_order")
    add_ticket(db, served.site.paths.recordings, QUIET, "102", number="0905333444", field="lighting")
    with Session(db) as s, s.begin():
        s.execute(update(Ticket).where(Ticket.code == CODE).values(
            area="hai_chau", address="12 Lê Duẩn", summary="Lấn chiếm vỉa hè trước số 12 Lê Duẩn, gây ùn tắc"))


async def post(cl, path: str, data) -> tuple[int, dict]:
    async with cl.request("POST", path, json=data) as r:
        return r.status, await r.json()


async def case(served: ServedConsole) -> int:
    """The whole way of CODE: forwarded by lan, received and answered by the agency, approved by hoa."""
    lan, hoa, ward = [await served.logged_in(u) for u in ("lan", "hoa", "haichau")]
    got, body = await post(lan, f"/api/tickets/{CODE}/forward", {"agencies": ["ubnd_hai_chau"], "note": "Gấp"})
    assert got == 201, body
    aid = body["assignments"][0]["id"]
    got, _ = await post(ward, f"/api/agency/assignments/{aid}/acknowledge", {})
    assert got == 200
    form = aiohttp.FormData()
    form.add_field("text", "Đã giải tỏa vỉa hè, lập biên bản xử phạt.")
    async with ward.request("POST", f"/api/agency/assignments/{aid}/answer", data=form) as r:
        assert r.status == 201, await r.text()
    got, body = await post(hoa, f"/api/assignments/{aid}/review", {"decision": "approve", "comment": "Đạt"})
    assert got == 200 and body["status"] == "resolved", body
    return aid


@pytest.fixture
async def served(tmp_path, backend):
    async with ServedConsole(tmp_path) as served:
        await asyncio.to_thread(seed, served)
        yield served


async def test_the_ticket_record_as_a_pdf_in_vietnamese(served, tmp_path):
    await case(served)
    tuan = await served.logged_in("tuan")  # a leader prints it
    async with tuan.request("GET", f"/api/tickets/{CODE}/record.pdf") as r:
        assert r.status == 200 and r.headers["Content-Type"] == "application/pdf"
        assert f'filename="{CODE}.pdf"' in r.headers["Content-Disposition"]
        data = await r.read()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    for part in (f"Hồ sơ xử lý phiếu {CODE}", "Đường dây nóng 1022", "Lấn chiếm vỉa hè trước số 12 Lê Duẩn",
                 "12 Lê Duẩn", "Quận Hải Châu", "0905111222", AGENCY, "Hạn xử lý", "Trễ hạn", "Không",
                 "Đã giải tỏa vỉa hè, lập biên bản xử phạt.", "Đã duyệt", "Diễn biến xử lý",
                 # the timeline's sentences, as the ticket page tells them
                 f"lan chuyển phiếu tới {AGENCY}, hạn xử lý", f"{AGENCY} đã trả lời (haichau)",
                 f"hoa duyệt câu trả lời của {AGENCY}", "Đã tạo việc gọi lại để báo câu trả lời cho người dân",
                 "Xuất lúc", "bởi tuan", "Ghi âm", "Cuộc gọi"):
        assert part in text, (part, text)
    with Session(served.db) as s:
        audits = [(a.actor, a.target) for a in s.scalars(select(Audit).where(Audit.action == "export"))]
    assert ("tuan", CODE) in audits


async def test_who_may_print_a_record(served):
    ward, minh, lan = [await served.logged_in(u) for u in ("haichau", "minh", "lan")]
    async with ward.request("GET", f"/api/tickets/{CODE}/record.pdf") as r:
        assert r.status == 403  # an agency's account: the record carries the caller's number
    async with minh.request("GET", f"/api/tickets/{CODE}/record.pdf") as r:
        assert r.status == 403  # another agent's ticket
    async with lan.request("GET", "/api/tickets/1022-000000-0000/record.pdf") as r:
        assert r.status == 404
    async with lan.request("GET", f"/api/tickets/{CODE}/record.pdf") as r:
        assert r.status == 200 and (await r.read()).startswith(b"%PDF-")
    async with lan.request("GET", f"/tickets/{CODE}") as r:  # the ticket page's link
        page_html = await r.text()
        assert f'href="/api/tickets/{CODE}/record.pdf"' in page_html and "Tải PDF" in page_html


async def run_export(cl, body: dict) -> tuple[dict, bytes, str]:
    """Start an export, poll it until it ends (each poll a round trip: no fixed sleep), fetch the file."""
    got, job = await post(cl, "/api/exports", body)
    assert got == 202 and job["state"] == "running", job
    seen = []
    for _ in range(600):
        async with cl.request("GET", f"/api/exports/{job['id']}") as r:
            job = await r.json()
        seen.append(job["done"])
        if job["state"] != "running":
            break
        await asyncio.sleep(0.05)
    assert job["state"] == "done", job
    assert seen == sorted(seen) and job["done"] == job["total"]
    async with cl.request("GET", job["file"]) as r:
        assert r.status == 200
        return job, await r.read(), r.headers["Content-Type"]


async def test_a_period_as_xlsx_with_tickets_assignments_and_timeline_columns(served, monkeypatch):
    monkeypatch.setattr(web_exports, "BATCH", 1)  # one ticket a batch: the progress moves in steps
    aid = await case(served)
    first, last = days(served.site.timezone)
    hoa = await served.logged_in("hoa")
    job, data, kind = await run_export(hoa, {"from": first, "to": last, "format": "xlsx"})
    assert job["total"] == 2 and "spreadsheetml" in kind
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Phiếu", "Chuyển cơ quan"]
    tickets = [[c.value for c in row] for row in wb["Phiếu"].iter_rows()]
    head = tickets[0]
    for name in ("Mã phiếu", "Lập lúc", "Lĩnh vực", "Phường / khu vực", "Trạng thái", "Nội dung", "Số gọi",
                 "Số bước diễn biến", "Chuyển cơ quan lúc", "Cơ quan trả lời lúc", "Báo người dân lúc"):
        assert name in head, name
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in tickets[1:]}
    assert set(rows) == {CODE, QUIET}
    ours = rows[CODE]
    assert (ours["Trạng thái"], ours["Phường / khu vực"], ours["Số gọi"]) == ("Đã giải quyết", "Quận Hải Châu",
                                                                              "0905111222")
    assert ours["Nội dung"].startswith("Lấn chiếm vỉa hè")
    for name in ("Lập lúc", "Chuyển cơ quan lúc", "Cơ quan trả lời lúc", "Báo người dân lúc"):
        assert isinstance(ours[name], datetime), name  # real Excel dates, not text
    assert ours["Số bước diễn biến"] >= 6  # menu, forward, received, answered, review, reply
    assert rows[QUIET]["Chuyển cơ quan lúc"] is None
    with Session(served.db) as s:
        created = s.scalar(select(Ticket.created_at).where(Ticket.code == CODE))
    local = created.replace(tzinfo=UTC).astimezone(ZoneInfo(served.site.timezone)).replace(tzinfo=None)
    assert abs(ours["Lập lúc"] - local) < timedelta(seconds=1)  # the site's wall clock, to Excel's precision
    assignments = [[c.value for c in row] for row in wb["Chuyển cơ quan"].iter_rows()]
    a = dict(zip(assignments[0], assignments[1], strict=True))
    assert len(assignments) == 2
    assert (a["Mã phiếu"], a["Số lần chuyển"], a["Cơ quan"], a["Người chuyển"]) == (CODE, aid, AGENCY, "lan")
    assert (a["Xử lý"], a["Duyệt"], a["Người duyệt"], a["Trễ hạn"]) == ("Đã đóng", "Đã duyệt", "hoa", "Không")
    assert a["Nội dung trả lời"] == "Đã giải tỏa vỉa hè, lập biên bản xử phạt."
    assert a["Thông báo"] == "Cơ quan đã nhận" and a["Ghi chú khi chuyển"] == "Gấp"
    for name in ("Chuyển lúc", "Hạn xử lý", "Trả lời lúc", "Duyệt lúc", "Đóng lúc"):
        assert isinstance(a[name], datetime), name
    assert wb["Chuyển cơ quan"]["D2"].number_format == "dd/mm/yyyy hh:mm"


async def test_a_period_as_csv_one_row_per_forward(served):
    await case(served)
    first, last = days(served.site.timezone)
    tuan = await served.logged_in("tuan")
    job, data, kind = await run_export(tuan, {"from": first, "to": last, "format": "csv"})
    assert data.startswith("\ufeff".encode()) and kind.startswith("text/csv")  # Excel reads the BOM as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["Mã phiếu"] for r in rows) == [CODE, QUIET]
    ours = next(r for r in rows if r["Mã phiếu"] == CODE)
    assert (ours["Cơ quan"], ours["Duyệt"], ours["Phường / khu vực"]) == (AGENCY, "Đã duyệt", "Quận Hải Châu")
    assert len(ours["Lập lúc"]) == 16 and ours["Lập lúc"][2] == "/"  # dd/mm/yyyy HH:mm
    assert next(r for r in rows if r["Mã phiếu"] == QUIET)["Cơ quan"] == ""
    with Session(served.db) as s:
        [audit] = s.scalars(select(Audit).where(Audit.action == "export_period"))
    assert audit.actor == "tuan"


async def test_refusals_of_a_period_export(served):
    lan, hoa, tuan = [await served.logged_in(u) for u in ("lan", "hoa", "tuan")]
    got, _ = await post(lan, "/api/exports", {"from": "01/11/2026", "to": "30/11/2026", "format": "xlsx"})
    assert got == 403  # an agent does not export periods
    for body, code in (({"from": "31/02/2026", "to": "01/03/2026", "format": "xlsx"}, "bad_date"),
                       ({"from": "", "to": "01/03/2026", "format": "csv"}, "bad_date"),
                       ({"from": "02/03/2026", "to": "01/03/2026", "format": "csv"}, "export_order"),
                       ({"from": "01/01/2025", "to": "02/01/2026", "format": "csv"}, "export_too_long"),
                       ({"from": "01/01/2026", "to": "02/01/2026", "format": "pdf"}, "export_format")):
        got, answer = await post(hoa, "/api/exports", body)
        assert (got, answer["code"]) == (400, code), body
    for lang in ("vi", "en"):  # the page says each in words
        words = catalog(lang, served.site)
        assert all(f"err.{c}" in words for c in ("bad_date", "export_order", "export_too_long", "export_format",
                                                 "export_busy", "no_export"))
    first, last = days(served.site.timezone)
    job, _, _ = await run_export(hoa, {"from": first, "to": last, "format": "csv"})
    async with tuan.request("GET", f"/api/exports/{job['id']}") as r:
        assert r.status == 404  # another user's export
    async with tuan.request("GET", f"/api/exports/{job['id']}/file") as r:
        assert r.status == 404
    async with hoa.request("GET", "/api/exports/nothing-here") as r:
        assert r.status == 404 and (await r.json())["code"] == "no_export"


def test_text_is_never_a_formula_and_jobs_are_bounded(tmp_path):
    at = datetime(2026, 11, 26, 1, 30)
    t = ExportTicket(1, "1022-X", at, None, "report", "trees", None, None, "open", 3, "=HYPERLINK(\"http://x\")",
                     "+84905111222", None, None, None, None, None, 1, None, None, None, at)
    a = ExportAssignment(7, "1022-X", "k", "Cơ quan K", at, "lan", "@SUM(A1)", "queued", None, "in_progress", None,
                         None, at, False, None, None, None, None, None, None, None, None, None, None)
    names = {"status.open": "Đang xử lý"}
    xlsx = tmp_path / "t.xlsx"
    period_xlsx.write(xlsx, [ExportBatch([t], [a])], names, "Asia/Ho_Chi_Minh")
    wb = load_workbook(xlsx)
    cell = wb.worksheets[0]["J2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")  # words, not a formula
    assert wb.worksheets[0]["B2"].value == datetime(2026, 11, 26, 8, 30)  # the site's wall clock
    assert period_csv.cell("=1+1") == "'=1+1" and period_csv.cell("@SUM(A1)") == "'@SUM(A1)"
    assert period_csv.cell("+84905111222") == "+84905111222" and period_csv.cell("-x") == "'-x"
    jobs = Jobs(tmp_path / "jobs", keep=60, most=1)
    job = jobs.start("hoa", "csv", "f.csv")
    with pytest.raises(Busy):
        jobs.start("tuan", "csv", "g.csv")
    job.path.write_text("x")
    jobs.fail(job.id, "disk full")
    assert not job.path.exists() and jobs.get(job.id).state == "failed"  # a half-written file is never offered
    jobs.sweep(now=jobs.get(job.id).ended + 61)
    assert jobs.get(job.id) is None


# ---- the tickets page in Chromium ----

def _export_in_chromium(base: str, first: str, last: str, tmp_path: Path) -> tuple[list[str], Path, Path, list[str]]:
    with browser() as b:
        p = page(b)
        login(p, base, "hoa", PASSWORD)
        p.goto(f"{base}/tickets")
        p.wait_for_selector("#export-form")
        p.fill("#x-from", first)
        p.fill("#x-to", last)
        p.select_option("#x-format", "xlsx")
        p.click("#x-go")
        p.wait_for_selector("#x-file:not([hidden])", timeout=60000)
        assert p.eval_on_selector("#x-progress", "e => e.value === e.max")
        assert "Xong: 30 phiếu." in p.inner_text("#x-status")
        shot(p, "exports-01-tickets-page-done")
        with p.expect_download() as got:
            p.click("#x-file")
        xlsx = tmp_path / got.value.suggested_filename
        got.value.save_as(xlsx)
        errors = list(p.errors)

        phone = page(b, width=390, height=844)
        login(phone, base, "hoa", PASSWORD)
        phone.goto(f"{base}/tickets")
        phone.wait_for_selector("#export-form")
        phone.fill("#x-from", "01/01/2025")
        phone.fill("#x-to", "31/12/2026")
        phone.click("#x-go")  # over a year: refused in words
        phone.wait_for_selector("#x-status.error")
        refused = phone.inner_text("#x-status")
        phone.fill("#x-from", first)
        phone.fill("#x-to", last)
        phone.select_option("#x-format", "csv")
        phone.click("#x-go")
        phone.wait_for_selector("#x-file:not([hidden])", timeout=60000)
        wide = too_wide(phone)
        shot(phone, "exports-02-tickets-page-390")
        with phone.expect_download() as got:
            phone.click("#x-file")
        csv_file = tmp_path / got.value.suggested_filename
        got.value.save_as(csv_file)
        refusal = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        errors += [e for e in phone.errors if e != refusal]  # the refused period's answer, said in words
    return errors + wide, xlsx, csv_file, [refused]


def test_a_bulk_export_through_the_tickets_page(tmp_path, monkeypatch):
    monkeypatch.setattr(web_exports, "BATCH", 4)
    tc = ThreadedConsole(tmp_path)
    try:
        served = tc.served
        site = served.site
        for n in range(30):
            add_ticket(served.db, served.site.paths.recordings, f"1022-261203-{n:04d}", "101", field="trees")
        first, last = days(served.site.timezone)
        problems, xlsx, csv_file, [refused] = _export_in_chromium(served.base, first, last, tmp_path)
    finally:
        tc.close()
    assert problems == [], problems
    assert "tối đa 366 ngày" in refused
    assert xlsx.suffix == ".xlsx" and csv_file.suffix == ".csv"
    wb = load_workbook(xlsx)
    codes = [row[0].value for row in wb["Phiếu"].iter_rows(min_row=2)]
    assert sorted(codes) == [f"1022-261203-{n:04d}" for n in range(30)]
    rows = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 30 and {r["Lĩnh vực"] for r in rows} == {catalog("vi", site)["field.trees"]}
