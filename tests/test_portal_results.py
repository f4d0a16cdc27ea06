"""The public results and the public list of resolved cases (issue 17): the figures of a seeded
period are `tongdai stats --agencies --json`'s for that period, a case open past its deadline lowers
its agency's on-time rate, the figures are computed once per period and then read from the cache
(pure rule with a fixed clock, then on the served portal); no personal data on any public page,
JSON or CSV, in either language; both pages in Chromium at 390 and 1280 px. On SQLite and
PostgreSQL."""
from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from agencies.forwarding import AssignmentState, ticket_status
from db.clock import utcnow
from db.models import Ticket
from db.queries import agencies as stored_agencies
from db.queries import agency_work
from db.queries import assignments as stored
from portal import results
from portal.figures_cache import PENDING, FiguresCache
from portal.results import chosen_period, months_back
from tests.harness.browser import browser, page, settle, shot, too_wide
from tests.harness.cli import cli
from tests.harness.console import add_ticket
from tests.harness.portal import ServedPortal, ThreadedPortal

FAR = datetime(2036, 1, 1)  # a deadline still ahead, whatever today is
# what the citizens wrote and who they are: none of it may reach a public page
NAMES = ("Nguyễn Văn An", "Trần Thị Bích")
SECRETS = ("Nguyễn Văn An", "Nguyen Van An", "Văn An", "Trần Thị Bích", "Tran Thi Bich", "Thị Bích", "0905123456",
           "0905 123 456", "905 123 456", "905123456", "905.123.456", "0913777888", "913 777 888", "3822 222",
           "3822222", "an.nguyen@gmail.com", "gmail", "bich.tran@yahoo.com.vn", "yahoo", "45 Hàm Nghi",
           "07 Trưng Nữ Vương", ".wav", "/api/recordings")


def status_of(pairs):
    return ticket_status([AssignmentState(p, r) for p, r in pairs])


def forward(db, code: str, agency: str, at: datetime, deadline: datetime) -> int:
    f = stored.Forward(code, "hoa", "", at, (stored.Target(agency, deadline, "s", "e", "m", ()),), "http://x/a/", 72)
    [aid] = stored.forward(db, f, status_of)
    return aid


def resolve(db, aid: int, agency: str, answer: str, answered: datetime, approved: datetime) -> None:
    agency_work.answer(db, agency, aid, "canbo", answer, (), answered, status_of)
    stored.review(db, aid, "approve", "", "hoa", approved, status_of, lambda text: text)


def seed_cases(db, site, count: int = 23, marker: str = "") -> list[str]:
    """`count` resolved cases (three days ago and earlier, public by now) whose summaries and
    answers carry the callers' names, numbers and emails; one resolved an hour ago (not public
    yet). Their codes, the latest resolved first."""
    stored_agencies.sync(db, site.agencies)
    now = utcnow()
    codes = []
    for n in range(count + 1):
        code = f"1022-260101-{marker}{n:04d}"
        number = "0905123456" if n % 2 == 0 else "0913777888"
        add_ticket(db, site.paths.recordings, code, "101", number=number, field="trees" if n % 3 else "lighting")
        name = NAMES[n % 2]
        summary = (f"Ông {name} ({number[:4]} {number[4:7]} {number[7:]}, +84{number[1:]}) báo cây đổ ngày 12/03/2026 "
                   f"lúc 14:30; email an.nguyen@gmail.com. Phiếu {code}. Số {n}." if n % 2 == 0 else
                   f"{name.upper()} gọi từ {number[:4]}.{number[4:7]}.{number[7:]}, bich.tran@yahoo.com.vn, đèn tắt "
                   f"cả tuần ở kiệt 12; phạt 1.500.000 đồng. Số {n}.")
        with Session(db) as s, s.begin():
            s.execute(update(Ticket).where(Ticket.code == code).values(
                caller_name=name, summary=summary, area="hai_chau",
                address="45 Hàm Nghi" if n % 2 else "07 Trưng Nữ Vương"))
        agency = "so_xay_dung" if n % 3 == 0 else "cay_xanh"
        resolved_at = now - timedelta(hours=1) if n == count else now - timedelta(days=3, minutes=count - n)
        start = resolved_at - timedelta(days=2)
        with Session(db) as s, s.begin():  # the call came in an hour before the forward
            s.execute(update(Ticket).where(Ticket.code == code).values(created_at=start - timedelta(hours=1)))
        aid = forward(db, code, agency, start, start + timedelta(days=5))
        resolve(db, aid, agency, f"Đã xử lý xong số {n}. Người phản ánh gọi lại qua 0905-123-456 hoặc (0236) 3822222, "
                                 f"bich.tran@yahoo.com.vn; ông {name.split()[-1]} đã xác nhận.",
                start + timedelta(hours=5), resolved_at)
        codes.append(code)
    return codes[::-1]


# ---- the rules, without a database ----

def test_the_period_choices():
    today = date(2026, 3, 12)
    assert months_back(today, 3) == date(2025, 12, 13) and months_back(date(2026, 5, 31), 3) == date(2026, 3, 1)
    assert chosen_period({}, today) == (date(2025, 12, 13), today, "3m")
    assert chosen_period({"period": "12m"}, today) == (date(2025, 3, 13), today, "12m")
    assert chosen_period({"from": "01/03/2026", "to": "2026-03-05"}, today) == (date(2026, 3, 1), date(2026, 3, 5),
                                                                                 "custom")
    for bad in ({"period": "forever"}, {"from": "31/02/2026"}):
        with pytest.raises(ValueError):
            chosen_period(bad, today)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_figures_are_computed_once_per_period_and_kept_for_the_cache_seconds():
    store, clock, runs = {}, Clock(), []
    cache = FiguresCache(store, 300, clock)

    async def compute(value):
        runs.append(value)
        await asyncio.sleep(0)  # others arrive while it runs
        return {"value": value}

    # a burst of views: one computation, every view its result
    got = await asyncio.gather(*(cache.get("3m", lambda: compute(1)) for _ in range(5)))
    assert got == [{"value": 1}] * 5 and runs == [1] and not any(k.startswith(PENDING) for k in store)
    clock.now += 299
    assert await cache.get("3m", lambda: compute(2)) == {"value": 1} and runs == [1]  # still fresh
    assert await cache.get("1m", lambda: compute(3)) == {"value": 3}  # another period, its own figures
    clock.now += 1
    assert await cache.get("3m", lambda: compute(4)) == {"value": 4} and runs == [1, 3, 4]  # expired: once more

    async def broken():
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        await cache.get("6m", broken)
    assert await cache.get("6m", lambda: compute(5)) == {"value": 5}  # a failure is not kept

    for n in range(100):  # periods typed by visitors do not fill the memory
        cache.put(f"custom:{n}", n)
    assert len(store) <= 64 and store["custom:99"][1] == 99


# ---- on the served portal ----

def seed_period(db, site) -> tuple[date, dict[str, int]]:
    """A day 40 days ago (site time): the lighting agency answers one case on time and leaves one
    open past its deadline; the trees company answers one on time and has one open in time."""
    zone = ZoneInfo(site.timezone)
    day = (datetime.now(zone) - timedelta(days=40)).date()
    t0 = datetime.combine(day, time(9), zone).astimezone(UTC).replace(tzinfo=None)
    stored_agencies.sync(db, site.agencies)
    ids = {}
    for n, (agency, field, deadline, key) in enumerate((("so_xay_dung", "lighting", 24, "lights_on_time"),
                                                        ("so_xay_dung", "lighting", 4, "lights_overdue"),
                                                        ("cay_xanh", "trees", 24, "trees_on_time"),
                                                        ("cay_xanh", "trees", None, "trees_open"))):
        code = f"1022-{day:%y%m%d}-{n + 1:04d}"
        add_ticket(db, site.paths.recordings, code, "101", field=field)
        with Session(db) as s, s.begin():
            s.execute(update(Ticket).where(Ticket.code == code).values(created_at=t0 - timedelta(hours=1)))
        ids[key] = forward(db, code, agency, t0, t0 + timedelta(hours=deadline) if deadline else FAR)
    for key, agency in (("lights_on_time", "so_xay_dung"), ("trees_on_time", "cay_xanh")):
        resolve(db, ids[key], agency, "Đã xử lý.", t0 + timedelta(hours=3), t0 + timedelta(hours=5))
    return day, ids


def compared(data: dict) -> dict:
    """The leaders' figures of the page's data (the page adds the median in days and the months)."""
    def strip(row):
        return {k: v for k, v in row.items() if k != "median_days"}
    return {"from": data["from"], "to": data["to"], "agencies": [strip(r) for r in data["agencies"]],
            "fields": [strip(r) for r in data["fields"]], "totals": strip(data["totals"])}


async def test_the_results_are_the_leaders_figures_and_an_overdue_case_lowers_the_rate(tmp_path, monkeypatch):
    async with ServedPortal(tmp_path) as served:
        day, ids = await asyncio.to_thread(seed_period, served.db, served.site)
        period = f"from={day:%d/%m/%Y}&to={day:%d/%m/%Y}"
        computed = []
        real = results.figures
        monkeypatch.setattr(results, "figures", lambda *a: computed.append(a[2:4]) or real(*a))
        http = served.client()

        async def get_json():
            async with http.get(f"/results.json?{period}") as r:
                assert r.status == 200
                return await r.json()

        views = await asyncio.gather(*(get_json() for _ in range(6)))
        assert computed == [(day, day)] and all(v == views[0] for v in views)  # six views, one computation
        data = views[0]
        done = await asyncio.to_thread(cli, served.site, "stats", "--agencies", "--json", "--from", f"{day:%d/%m/%Y}",
                                       "--to", f"{day:%d/%m/%Y}")
        assert compared(data) == json.loads(done.stdout)

        lights, trees = (next(a for a in data["agencies"] if a["key"] == k) for k in ("so_xay_dung", "cay_xanh"))
        assert (lights["on_time"], lights["open_overdue"], lights["on_time_rate"]) == (1, 1, 0.5)
        assert (trees["on_time"], trees["open_in_time"], trees["on_time_rate"]) == (1, 1, 1.0)
        assert lights["median_hours"] == 3.0 and lights["median_days"] == 0.1
        assert data["months"] == [{"month": f"{day:%Y-%m}", **data["totals"]}]

        async with http.get(f"/results?{period}") as r:
            html = await r.text()
        assert r.status == 200 and "Sở Xây dựng thành phố Đà Nẵng" in html and "Chiếu sáng công cộng" in html
        row = html[html.index('data-key="so_xay_dung"'):]
        assert "50 %" in row[:row.index("</tr>")]  # the overdue case halves the lighting agency's rate
        assert f"Từ {day:%d/%m/%Y} đến {day:%d/%m/%Y}" in html and 'id="chart-data"' in html

        async with http.get(f"/results.csv?{period}") as r:
            assert r.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO((await r.text()).lstrip("\ufeff"))))
        assert rows[0][:3] == ["Cơ quan", "Tiếp nhận", "Đúng hạn"]
        assert ["Sở Xây dựng thành phố Đà Nẵng", "2", "1", "0", "1", "0", "0", "50", "3.0"] in rows
        async with served.client().get(f"/results.csv?table=fields&lang=en&{period}") as r:
            fields = list(csv.reader(io.StringIO((await r.text()).lstrip("\ufeff"))))
        assert fields[0][0] == "Field" and "Public lighting" in [f[0] for f in fields]

        # another forward that day: the figures shown stay those computed until the cache expires
        await asyncio.to_thread(add_ticket, served.db, served.site.paths.recordings, f"1022-{day:%y%m%d}-0009",
                                "101", field="trees")
        forward(served.db, f"1022-{day:%y%m%d}-0009", "cay_xanh", datetime.combine(day, time(5)), FAR)
        assert (await get_json())["totals"]["received"] == 4 and len(computed) == 1
        served.public.cache.clear()
        assert (await get_json())["totals"]["received"] == 5 and len(computed) == 2

        for query, words in (("from=05/03/2026&to=01/03/2026", "trước ngày bắt đầu"), ("from=31/02/2026", "dd/mm/yyyy"),
                             ("from=01/01/2024&to=01/03/2026", "một năm"), ("period=forever", "dd/mm/yyyy")):
            async with http.get(f"/results?{query}") as r:
                assert r.status == 400 and words in await r.text(), query
        async with http.get("/results.json?from=05/03/2026&to=01/03/2026") as r:
            assert r.status == 400


async def test_no_personal_data_on_any_public_page(tmp_path):
    async with ServedPortal(tmp_path) as served:
        codes = await asyncio.to_thread(seed_cases, served.db, served.site)
        http = served.client()
        pages = {}
        for path in ("/", "/results", "/results.json", "/results.csv", "/results.csv?table=fields", "/cases",
                     "/cases?page=2", "/cases?page=3", "/results?period=12m", "/?lang=en", "/results?lang=en",
                     "/results.csv?lang=en", "/cases?lang=en", "/cases?page=2&lang=en"):
            async with http.get(path) as r:
                assert r.status == 200, path
                pages[path] = await r.text()
        for path, text in pages.items():
            for secret in SECRETS:
                assert secret.lower() not in text.lower(), (path, secret)
        first, second = pages["/cases"], pages["/cases?page=2"]
        assert first.count('class="card case"') == 20 and second.count('class="card case"') == 3
        assert "Trang 1 / 2" in first and 'id="older"' in first and 'id="newer"' in second
        # what is shown: the dates and amounts as written, the answers, the marker where data was
        assert "[đã ẩn]" in first and "ngày 12/03/2026 lúc 14:30" in first and "1.500.000 đồng" in second
        assert "Đã xử lý xong số 22." in first and "Công ty TNHH MTV Công viên Cây xanh Đà Nẵng" in first
        assert "Quận Hải Châu" in first and "Cây xanh" in first and "Chiếu sáng công cộng" in first
        assert "[hidden]" in pages["/cases?lang=en"] and "Hai Chau District" in pages["/cases?lang=en"]
        assert "Số 23." not in first + second  # resolved an hour ago: not public yet
        assert first.index("Số 22.") < first.index("Số 21.")  # the latest resolved first
        assert len(codes) == 24


def test_the_results_and_the_cases_on_a_phone_and_a_desktop(tmp_path):
    portal = ThreadedPortal(tmp_path)
    try:
        served = portal.served
        seed_period(served.db, served.site)
        seed_cases(served.db, served.site, 6, marker="9")
        with browser() as b:
            for width, height in ((390, 844), (1280, 900)):
                p = page(b, width=width, height=height)
                p.goto(served.base + "/results")
                p.wait_for_selector("#trend[data-drawn]")
                settle(p)
                assert p.inner_text("#period-3m") == "3 tháng qua" and p.get_attribute("#period-3m", "aria-current")
                assert p.inner_text("#total-overdue") == "1"
                assert too_wide(p) == []
                shot(p, f"portal-results-{width}")
                p.click("#period-12m")
                p.wait_for_selector("#period-12m[aria-current]")
                p.goto(served.base + "/cases")
                p.wait_for_selector(".case")
                assert "[đã ẩn]" in p.inner_text("main") and "0905" not in p.inner_text("main")
                assert too_wide(p) == []
                shot(p, f"portal-cases-{width}")
                p.click("#lang")
                p.wait_for_selector("html[lang='en']")
                assert "[hidden]" in p.inner_text("main")
                shot(p, f"portal-cases-{width}-en")
                p.goto(served.base + "/results")
                p.wait_for_selector("#trend[data-drawn]")
                assert "On-time rate" in p.inner_text("main")
                shot(p, f"portal-results-{width}-en")
                assert p.errors == []
                p.context.close()
    finally:
        portal.close()
