"""The handling agencies' statistics for leaders (issue 16, part 8): the pure rule (an open case past
its deadline lowers the on-time rate, the `late` flag stored at closing is kept, declined and
rerouted cases count for the agency that had them, the median, per agency and per field), then
on SQLite and PostgreSQL with a fixed clock: assignments forwarded, answered, approved, rejected
and rerouted with the db.queries functions, read back per site-local day; the same figures from
GET /api/reports/agencies, its CSV and `tongdai stats --agencies --json`; and the reports page's
section with its charts in Chromium (screenshots at 1280 and 390 px)."""
from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from agencies.forwarding import AssignmentState, ticket_status
from agencies.statistics import PeriodError, figures, outcome, period, report, table
from db.agency_models import Assignment
from db.clock import utcnow
from db.queries import agencies as stored_agencies
from db.queries import agency_work
from db.queries import assignments as stored
from db.queries.agency_stats import AssignmentFacts, TooManyAssignments, forwarded_between
from tests.harness.browser import browser, login, page, settle, shot, too_wide
from tests.harness.cli import cli
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole, add_ticket
from web.reports import agency_report

T0 = datetime(2026, 3, 2, 2, 0)  # naive UTC: Monday 02/03/2026 09:00 in Đà Nẵng (UTC+7)
DAY = date(2026, 3, 2)
FAR = datetime(2036, 1, 1)  # a deadline still ahead, whatever today is


def facts(processing="in_progress", review=None, answered_h=None, deadline_h=24.0, late=None, agency="so_xay_dung",
          field="lighting", replaced=False) -> AssignmentFacts:
    return AssignmentFacts(0, agency, field, T0, T0 + timedelta(hours=deadline_h), processing, review,
                           T0 + timedelta(hours=answered_h) if answered_h is not None else None,
                           T0 + timedelta(hours=40) if processing == "closed" else None, late, replaced)


# ---- the rule, without a database ----

def test_an_open_overdue_case_lowers_the_on_time_rate():
    answered = [facts("closed", "approved", 5, late=False), facts("answered", "pending", 20)]
    still_open = facts("in_progress", deadline_h=24)
    before = figures([*answered, still_open], T0 + timedelta(hours=23))
    after = figures([*answered, still_open], T0 + timedelta(hours=25))
    assert (before["open_in_time"], before["open_overdue"], before["on_time_rate"]) == (1, 0, 1.0)
    assert (after["open_in_time"], after["open_overdue"], after["on_time_rate"]) == (0, 1, 0.6667)
    assert after["received"] == 3 and after["median_hours"] == 12.5  # the open one has no time to answer
    # more time asked, or an answer the supervisor returned: still the agency's, still overdue
    assert outcome(facts("extension_requested"), T0 + timedelta(hours=30)) == "open_overdue"
    assert outcome(facts("in_progress", "returned", answered_h=2), T0 + timedelta(hours=30)) == "open_overdue"


def test_the_late_flag_stored_at_closing_is_kept():
    # the deadline moved after closing (a policy changed, an extension): the flag stored then is the truth
    assert outcome(facts("closed", "approved", answered_h=30, deadline_h=24, late=False), T0) == "on_time"
    assert outcome(facts("closed", "approved", answered_h=2, deadline_h=24, late=True), T0) == "late"
    # waiting for the review: its answer against its deadline
    assert outcome(facts("answered", "pending", answered_h=30), T0) == "late"
    assert outcome(facts("answered", "pending", answered_h=23), T0 + timedelta(days=9)) == "on_time"


def test_declined_and_rerouted_cases_count_for_the_agency_that_had_them_outside_the_rate():
    rows = [facts("rejected", agency="ubnd_hai_chau"), facts("closed", None, agency="ubnd_hai_chau", replaced=True),
            facts("answered", "pending", 3, agency="so_xay_dung")]
    out = report(rows, T0 + timedelta(days=9), {"ubnd_hai_chau": "UBND quận Hải Châu"}, {})
    ward, lights = out["agencies"]
    assert ward == {"key": "ubnd_hai_chau", "name": "UBND quận Hải Châu", "received": 2, "on_time": 0, "late": 0,
                    "open_overdue": 0, "open_in_time": 0, "declined": 2, "on_time_rate": None, "median_hours": None}
    assert (lights["name"], lights["on_time"], lights["on_time_rate"]) == ("so_xay_dung", 1, 1.0)  # no name: its key
    assert out["totals"]["received"] == 3 and out["totals"]["on_time_rate"] == 1.0


def test_per_agency_and_per_field_the_most_received_first():
    rows = [facts("answered", "pending", 2, agency="cay_xanh", field="trees"),
            facts("answered", "pending", 8, agency="so_xay_dung", field="lighting"),
            facts("closed", "approved", 30, late=True, agency="so_xay_dung", field="drainage"),
            facts("in_progress", agency="so_xay_dung", field=None)]
    out = report(rows, T0 + timedelta(days=2), {}, {"lighting": ("Chiếu sáng công cộng", "Public lighting")})
    assert [(a["key"], a["received"]) for a in out["agencies"]] == [("so_xay_dung", 3), ("cay_xanh", 1)]
    assert out["agencies"][0]["median_hours"] == 19.0 and out["agencies"][0]["on_time_rate"] == 0.3333
    assert [f["key"] for f in out["fields"]] == ["-", "drainage", "lighting", "trees"]  # ties by key
    lighting = out["fields"][2]
    assert (lighting["name"], lighting["name_en"]) == ("Chiếu sáng công cộng", "Public lighting")
    names = {"reports.agency_name": "Cơ quan", "reports.ag_received": "Tiếp nhận", "reports.none": "Chưa ghi",
             "reports.field_name": "Lĩnh vực", "field.lighting": "Chiếu sáng công cộng"}
    rows_out = table(out, "fields", names)
    assert rows_out[0][:2] == ["Lĩnh vực", "Tiếp nhận"] and rows_out[1][0] == "Chưa ghi"
    assert rows_out[3] == ["Chiếu sáng công cộng", 1, 1, 0, 0, 0, 0, 100, 8.0]
    assert table(out, "agencies", names)[0][0] == "Cơ quan"


def test_a_period_is_site_local_days():
    assert period(DAY, DAY, "Asia/Ho_Chi_Minh") == (datetime(2026, 3, 1, 17, 0), datetime(2026, 3, 2, 17, 0))
    for first, last, code in ((DAY, DAY - timedelta(days=1), "bad_range"),
                              (DAY, DAY + timedelta(days=366), "too_long")):
        with pytest.raises(PeriodError) as e:
            period(first, last, "Asia/Ho_Chi_Minh")
        assert e.value.code == code


# ---- in the database, on both backends, with a fixed clock ----

def _status_of(pairs):
    return ticket_status([AssignmentState(p, r) for p, r in pairs])


def forward(db, code: str, agency: str, at: datetime, deadline: datetime) -> int:
    f = stored.Forward(code, "hoa", "", at, (stored.Target(agency, deadline, "s", "e", "m", ()),), "http://x/a/", 72)
    [aid] = stored.forward(db, f, _status_of)
    return aid


def seed(served: ServedConsole) -> dict[str, int]:
    """Seven forwards on Monday 02/03/2026 (site time) and one the next morning, each its own ticket."""
    db = served.db
    stored_agencies.sync(db, served.site.agencies)
    for n, field in enumerate(("lighting", "lighting", "lighting", "trees", "urban_order", "water", "lighting"), 1):
        add_ticket(db, served.site.paths.recordings, f"1022-260302-000{n}", "101", field=field)

    def h(n: float) -> datetime:
        return T0 + timedelta(hours=n)

    ids = {"on_time": forward(db, "1022-260302-0001", "so_xay_dung", T0, h(24)),
           "late": forward(db, "1022-260302-0002", "so_xay_dung", T0, h(24)),
           "overdue": forward(db, "1022-260302-0003", "so_xay_dung", T0, h(4)),
           "pending": forward(db, "1022-260302-0004", "cay_xanh", T0, h(24)),
           "declined": forward(db, "1022-260302-0005", "ubnd_hai_chau", T0, h(24)),
           # 06:30 on the day at the site is still 01/03 in UTC: counted on the site's day
           "early": forward(db, "1022-260302-0006", "dawaco", datetime(2026, 3, 1, 23, 30), FAR),
           # 06:00 the next day at the site is still 02/03 in UTC: not this day's
           "next_day": forward(db, "1022-260302-0007", "so_xay_dung", datetime(2026, 3, 2, 23, 0), h(60))}
    for key, at in (("on_time", h(5)), ("late", h(30)), ("pending", h(10))):
        agency = stored.get(db, ids[key]).agency
        agency_work.answer(db, agency, ids[key], "canbo", "Đã xử lý xong.", (), at, _status_of)
    for key, at in (("on_time", h(30)), ("late", h(31))):
        stored.review(db, ids[key], "approve", "", "hoa", at, _status_of, lambda text: text)
    agency_work.reject(db, "ubnd_hai_chau", ids["declined"], "canbo", "Không thuộc thẩm quyền", "so_xay_dung", h(1))
    again = stored.Forward("1022-260302-0005", "hoa", "", h(2), (stored.Target("so_xay_dung", FAR, "s", "e", "m", ()),),
                           "http://x/a/", 72)
    ids["rerouted"] = stored.reroute(db, ids["declined"], again, _status_of)
    with Session(db) as s, s.begin():  # the deadline moved after it closed: the stored flag still says on time
        s.execute(update(Assignment).where(Assignment.id == ids["on_time"]).values(deadline_at=h(1)))
    return ids


@pytest.fixture
async def seeded(tmp_path, backend):
    async with ServedConsole(tmp_path) as served:
        served.ids = await asyncio.to_thread(seed, served)
        yield served


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["key"]: r for r in rows}


async def test_figures_per_agency_and_field_from_the_database_and_the_api(seeded):
    db, site = seeded.db, seeded.site
    rows = forwarded_between(db, *period(DAY, DAY, site.timezone))
    assert {r.id for r in rows} == set(seeded.ids.values()) - {seeded.ids["next_day"]}
    assert [r.replaced for r in rows if r.id == seeded.ids["declined"]] == [True]
    with pytest.raises(TooManyAssignments):
        forwarded_between(db, *period(DAY, DAY, site.timezone), limit=3)

    data = agency_report(db, site, DAY, DAY, T0 + timedelta(hours=50))
    assert [a["key"] for a in data["agencies"]] == ["so_xay_dung", "cay_xanh", "dawaco", "ubnd_hai_chau"]
    lights, trees, water, ward = data["agencies"]
    assert lights == {"key": "so_xay_dung", "name": "Sở Xây dựng thành phố Đà Nẵng", "received": 4, "on_time": 1,
                      "late": 1, "open_overdue": 1, "open_in_time": 1, "declined": 0, "on_time_rate": 0.3333,
                      "median_hours": 17.5}
    assert (trees["on_time"], trees["median_hours"], trees["on_time_rate"]) == (1, 10.0, 1.0)  # awaiting review
    assert (water["open_in_time"], water["on_time_rate"]) == (1, None)
    assert (ward["received"], ward["declined"], ward["on_time_rate"]) == (1, 1, None)
    fields = by_key(data["fields"])
    assert (fields["lighting"]["received"], fields["lighting"]["on_time_rate"]) == (3, 0.3333)
    assert (fields["urban_order"]["declined"], fields["urban_order"]["open_in_time"]) == (1, 1)
    assert fields["lighting"]["name_en"] == "Public lighting"
    assert data["totals"] == {"received": 7, "on_time": 2, "late": 1, "open_overdue": 1, "open_in_time": 2,
                              "declined": 1, "on_time_rate": 0.5, "median_hours": 10.0}

    tuan, lan = await seeded.logged_in("tuan"), await seeded.logged_in("lan")
    for query in ("from=02/03/2026&to=02/03/2026", "from=2026-03-02&to=2026-03-02"):
        async with tuan.request("GET", f"/api/reports/agencies?{query}") as r:
            assert r.status == 200
            assert await r.json() == data  # every open case left is due far ahead: the same at any later clock
    for query, code in (("from=31/02/2026", "bad_date"), ("from=03/03/2026&to=02/03/2026", "bad_range"),
                        ("from=01/01/2025&to=02/03/2026", "too_long")):
        async with tuan.request("GET", f"/api/reports/agencies?{query}") as r:
            assert (r.status, (await r.json())["code"]) == (400, code), query
    async with lan.request("GET", "/api/reports/agencies") as r:
        assert r.status == 403
    async with tuan.request("GET", "/api/reports/agencies.csv?table=agencies&from=02/03/2026&to=02/03/2026") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
        lines = (await r.text()).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Cơ quan,Tiếp nhận,Trả lời đúng hạn,Trả lời trễ hạn,Quá hạn chưa trả lời")
    assert lines[1] == "Sở Xây dựng thành phố Đà Nẵng,4,1,1,1,1,0,33,17.5"


async def test_the_cli_prints_the_same_figures_as_json(seeded):
    done = await asyncio.to_thread(cli, seeded.site, "stats", "--agencies", "--json", "--from", "2026-03-02",
                                   "--to", "02/03/2026")
    hoa = await seeded.logged_in("hoa")
    async with hoa.request("GET", "/api/reports/agencies?from=02/03/2026&to=02/03/2026") as r:
        assert json.loads(done.stdout) == await r.json()
    table_text = (await asyncio.to_thread(cli, seeded.site, "stats", "--agencies", "--from", "02/03/2026",
                                          "--to", "02/03/2026")).stdout
    assert "Sở Xây dựng thành phố Đà Nẵng" in table_text and "33%" in table_text
    refused = await asyncio.to_thread(cli, seeded.site, "stats", "--agencies", "--from", "03/03/2026", "--to",
                                      "02/03/2026", check=False)
    assert refused.returncode != 0 and "before" in refused.stderr


# ---- the reports page in Chromium ----

def seed_recent(served: ServedConsole) -> None:
    """Today's cases (the page shows the last 7 days): an answer on time, one late, one left overdue."""
    db, now = served.db, utcnow()
    stored_agencies.sync(db, served.site.agencies)
    for n, field in enumerate(("lighting", "lighting", "trees", "trees"), 1):
        add_ticket(db, served.site.paths.recordings, f"1022-261203-090{n}", "101", field=field)
    at = now - timedelta(hours=3)
    on_time = forward(db, "1022-261203-0901", "so_xay_dung", at, now + timedelta(days=3))
    late = forward(db, "1022-261203-0903", "cay_xanh", at, at + timedelta(hours=1))
    forward(db, "1022-261203-0902", "so_xay_dung", at, at + timedelta(hours=2))  # left open: overdue
    forward(db, "1022-261203-0904", "cay_xanh", at, now + timedelta(days=3))  # open, in time
    agency_work.answer(db, "so_xay_dung", on_time, "canbo", "Đã thay bóng đèn.", (), at + timedelta(hours=1),
                       _status_of)
    agency_work.answer(db, "cay_xanh", late, "canbo", "Đã dọn cây đổ.", (), at + timedelta(hours=2), _status_of)


@pytest.fixture
def served(tmp_path):
    bg = ThreadedConsole(tmp_path)
    try:
        seed_recent(bg.served)
        yield bg.served
    finally:
        bg.close()


def shown(p) -> None:
    p.wait_for_selector("body[data-report-shown]")
    p.wait_for_selector("#ag-agencies tbody tr[data-key]")


def test_the_reports_page_shows_the_agencies_with_their_charts(served):
    with browser() as b:
        p = page(b)
        login(p, served.base, "tuan", PASSWORD)
        p.goto(f"{served.base}/reports")
        shown(p)
        assert p.locator("#agencies-title").inner_text() == "Cơ quan xử lý"
        cells = p.locator('#ag-agencies tr[data-key="so_xay_dung"] td').all_inner_texts()
        assert cells == ["Sở Xây dựng thành phố Đà Nẵng", "2", "1", "0", "1", "0", "0", "50%", "1 giờ"]
        trees = p.locator('#ag-agencies tr[data-key="cay_xanh"] td').all_inner_texts()
        assert trees[1:8] == ["2", "0", "1", "0", "1", "0", "0%"]
        assert p.locator("#ag-agencies tr.total td").first.inner_text() == "Tổng cộng"
        assert p.locator('#ag-fields tr[data-key="lighting"] td').first.inner_text() == "Chiếu sáng công cộng"
        assert "trung vị" in p.get_attribute("#ag-agencies th:last-child", "title").lower()
        # a bar per agency (as many received: by key), stacked: on time, late, open overdue, open in time
        stacked = p.evaluate("""() => Chart.getChart('chart-agencies').data.datasets.map((d) => [d.label, d.data])""")
        assert stacked == [["Trả lời đúng hạn", [0, 1]], ["Trả lời trễ hạn", [1, 0]], ["Quá hạn chưa trả lời", [0, 1]],
                           ["Đang xử lý trong hạn", [1, 0]]]
        assert p.evaluate("() => Chart.getChart('chart-median').data.datasets[0].data") == [2, 1]
        csv = p.request.get(served.base + p.get_attribute('a.csv-agencies[data-table="agencies"]', "href"))
        assert csv.ok and "Sở Xây dựng thành phố Đà Nẵng,2,1,0,1,0,0,50,1.0" in csv.text()
        p.locator("#agencies-report").scroll_into_view_if_needed()
        shot(p, "reports-agencies")

        p.set_viewport_size({"width": 390, "height": 844})
        p.reload()
        shown(p)
        settle(p)
        assert p.evaluate("document.documentElement.scrollWidth") <= 390, too_wide(p)
        box = p.eval_on_selector("#ag-agencies", "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
        assert box[0] > box[1]  # the table scrolls inside its box, not the page
        p.locator("#agencies-report").scroll_into_view_if_needed()
        shot(p, "reports-agencies-390")

        p.click("#lang-switch")
        p.wait_for_function("document.documentElement.lang === 'en'")
        shown(p)
        assert p.locator("#agencies-title").inner_text() == "Handling agencies"
        assert p.locator('#ag-fields tr[data-key="lighting"] td').first.inner_text() == "Public lighting"
        assert p.locator('#ag-agencies tr[data-key="so_xay_dung"] td').last.inner_text() == "1 h"
        assert p.errors == []

