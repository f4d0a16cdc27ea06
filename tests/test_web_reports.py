"""The leaders' reports page in Debian's Chromium, on the console served without Asterisk (the
figures come from the database, so no PBX is needed): a caller who took a callback is counted in
the field of their request, the quick ranges work, abbreviations are explained, every label is
translated, the zip holds the same count, and at 390 px nothing overflows the page."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from acd.reports import quick_range
from db.clock import utcnow
from db.models import Agent, AgentState, Call, Callback, Ticket
from tests.harness.browser import browser, login, page, shot
from tests.harness.console import PASSWORD, ThreadedConsole

ENVIRONMENT_ROW = '#tickets tr[data-group="fields"][data-code="environment"]'


@pytest.fixture
def served(tmp_path):
    """The console served from a thread (Playwright's sync API wants this one)."""
    bg = ThreadedConsole(tmp_path)
    try:
        yield bg.served
    finally:
        bg.close()


def seed(db) -> None:
    """An environment report whose caller took a callback (it never reached a queue), and an agent's lunch."""
    now = utcnow()
    with Session(db) as s, s.begin():
        call = Call(uniqueid="u-env", caller_number="0905777888", started_at=now, language="vi")
        s.add(call)
        s.flush()
        t = Ticket(code="1022-261203-0001", call_id=call.id, kind="report", field="environment", area="son_tra",
                   status="callback_pending", created_at=now)
        s.add(t)
        s.flush()
        s.add(Callback(ticket_id=t.id, number="0905777888", language="vi", queued_at=now, due_at=now, updated_at=now))
        if s.scalar(select(Agent).where(Agent.extension == "101")) is None:
            s.add(Agent(extension="101", name="Lan", pin_hash="x", skills="{}"))
        s.add(AgentState(agent="101", state="paused", reason="lunch", started_at=now - timedelta(minutes=3),
                         ended_at=now - timedelta(minutes=1)))


def shown(p, first, last) -> None:
    p.wait_for_function("(v) => document.body.dataset.reportShown === v", arg=f"{first.isoformat()}/{last.isoformat()}")


def test_leader_reads_the_reports_page(served):
    seed(served.db)
    today = datetime.now(ZoneInfo(served.site.timezone)).date()
    with browser() as b:
        p = page(b)
        login(p, served.base, "tuan", PASSWORD)
        p.goto(f"{served.base}/reports")
        shown(p, today - timedelta(days=6), today)  # the last 7 days by default
        row = p.locator(ENVIRONMENT_ROW)
        assert row.locator("td").all_inner_texts() == ["Lĩnh vực", "Môi trường", "1"]
        tickets = p.locator("#tickets tbody").inner_text()
        for shown_text in ("Quận Sơn Trà", "Chờ gọi lại", "Phản ánh sự cố", "Điện thoại"):
            assert shown_text in tickets
        agent = p.locator("#agents tbody tr").first.locator("td").all_inner_texts()
        assert agent[0] == "Lan (101)" and agent[4] == "Nghỉ trưa 2:00" and agent[5] == "—"
        sl = p.locator("#queues thead abbr", has_text="SL")
        assert "20 giây" in sl.get_attribute("title") and sl.locator("xpath=..").get_attribute("title")
        text = p.locator("main").inner_text()
        for raw in ("environment", "callback_pending", "son_tra", "incidents", "lunch", "phone", "reports."):
            assert raw not in text, raw

        p.click("button[data-range=last_month]")
        shown(p, *quick_range("last_month", today))
        assert p.locator(ENVIRONMENT_ROW).count() == 0
        assert p.locator("#tickets tr.empty").inner_text() == "Không có phiếu nào trong khoảng thời gian này."
        assert p.locator("button[data-range=last_month]").get_attribute("aria-pressed") == "true"
        p.click("button[data-range=today]")
        shown(p, today, today)
        assert p.locator(ENVIRONMENT_ROW).locator("td").nth(2).inner_text() == "1"
        assert p.input_value("#r-from") == today.strftime("%d/%m/%Y")  # the site's way, whatever the browser's
        p.fill("#r-from", (today - timedelta(days=1)).strftime("%d/%m/%Y"))  # a custom range, typed
        p.click("#r-go")
        shown(p, today - timedelta(days=1), today)
        assert p.locator("#days tbody tr").first.locator("td").first.inner_text() == \
            (today - timedelta(days=1)).strftime("%d/%m/%Y")
        shot(p, "reports-leader")

        archive = p.request.get(served.base + p.get_attribute("#zip", "href"))
        assert archive.ok
        with zipfile.ZipFile(io.BytesIO(archive.body())) as z:
            assert len(z.namelist()) == 6 + 2  # and the agencies' two tables
            assert z.read("agencies-agencies.csv").decode("utf-8-sig").splitlines()[0].startswith("Cơ quan")
            assert "Lĩnh vực,Môi trường,1" in z.read("tickets.csv").decode("utf-8-sig").splitlines()

        p.set_viewport_size({"width": 390, "height": 844})
        p.reload()
        shown(p, today - timedelta(days=6), today)
        assert p.evaluate("document.documentElement.scrollWidth") <= 390
        boxes = p.eval_on_selector_all(".charts figure", "fs => fs.map((f) => f.getBoundingClientRect().left)")
        assert len(set(boxes)) == 1  # one column of charts
        shot(p, "reports-leader-390")

        p.click("#lang-switch")  # English, one language at a time
        shown(p, today - timedelta(days=6), today)
        assert p.locator(ENVIRONMENT_ROW).locator("td").all_inner_texts() == ["Field", "Environment", "1"]
        assert p.locator("h2").inner_text() == "Reports"
        assert p.errors == []  # no script error, no missing message
