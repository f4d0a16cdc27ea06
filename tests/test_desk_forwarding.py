"""Forwarding from the agent desk, right after the call (issue 16): on the pop of a street-light
report (field lighting from the IVR) the box asks for the ward, then for a save, then shows the
routing rule's agency ticked; after the call has ended the agent forwards with a note in one click
(the desk's unsaved note is saved first, not lost); the assignment is in the database with its
deadline and the box shows it with the ticket's status; a second forward of the same ticket from
another tab of the desk is refused in Vietnamese. The console is served without Asterisk: the hub
gets the AMI events a call would bring. Chromium, 1280 and 390 px."""
from __future__ import annotations

import time
from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.agency_models import Assignment
from db.models import Ticket, TicketEvent
from acd.desk import pin_hash
from db.queries import agencies as stored_agencies
from db.queries import agents as stored_agents
from tests.harness.browser import browser, login, page, shot, too_wide
from tests.harness.console import PASSWORD, ThreadedConsole

NUMBER = "0905333444"
LIGHTS = "so_xay_dung"  # the lighting route's agency, for any area
SUMMARY = "Đèn đường trước số 20 Trần Phú không sáng từ tối qua"
DESK_NOTE = "Người dân sẽ gọi lại nếu tối nay đèn vẫn chưa sáng"
FORWARD_NOTE = "Cả đoạn đường tối, đề nghị xử lý sớm"


def the_ticket(db, code: str) -> Ticket:
    with Session(db) as s:
        return s.scalar(select(Ticket).where(Ticket.code == code))


def assignments(db, code: str) -> list[Assignment]:
    with Session(db) as s:
        tid = s.scalar(select(Ticket.id).where(Ticket.code == code))
        return list(s.scalars(select(Assignment).where(Assignment.ticket_id == tid)))


def notes(db, code: str) -> list[str]:
    with Session(db) as s:
        tid = s.scalar(select(Ticket.id).where(Ticket.code == code))
        return [e.detail or "" for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid,
                                                                             TicketEvent.kind == "note"))]


def test_the_agent_forwards_from_the_desk_after_the_call(tmp_path):
    bg = ThreadedConsole(tmp_path)
    served = bg.served
    c = served.console
    rang = False
    try:
        stored_agencies.sync(served.db, served.site.agencies)
        lights = stored_agencies.get(served.db, LIGHTS).name
        stored_agents.add(served.db, "101", "Nguyễn Thị Lan", pin_hash("test", "4821"), {"incidents": 0})
        seat = c.acd.board.seat("101")  # agent 101 is on a call: a desk opened now shows its ticket
        seat.state, seat.since, seat.queues = "talking", time.time(), {"incidents"}

        async def ring():  # a street-light report (2, 5 in the IVR) reaches agent 101's desk
            nonlocal rang
            rang = True
            await c.book.start()
            c.hub.start()
            call = c.book.open("u-light-1", NUMBER, "Nguyễn Văn D")
            call.update(agent="101", kind="report", field="lighting", queue="incidents")
            c.hub.on_ami("AgentConnect", {"Event": "AgentConnect", "MemberName": "101", "Uniqueid": "u-light-1",
                                          "Queue": "incidents", "HoldTime": "4"})
            return call

        async def hang_up(call):  # the caller hangs up: the report stays open, the desks hear the end
            call.close("closed", "open")
            await c.book.flush(5)
            c.hub.on_ami("AgentComplete", {"Event": "AgentComplete", "MemberName": "101", "Uniqueid": "u-light-1",
                                           "Queue": "incidents"})

        with browser() as b:
            desk = page(b)
            login(desk, served.base, "lan", PASSWORD)
            desk.goto(f"{served.base}/agent")
            desk.wait_for_selector(".live-dot.ok")
            call = bg.run(ring())
            code = call.code
            desk.wait_for_selector("#pop:not([hidden])")
            assert desk.inner_text("#pop-code") == code
            assert desk.input_value("#t-field") == "lighting"
            # the report has its field from the IVR, not its ward yet: the box says what it needs
            desk.wait_for_selector("#fwd:not([hidden]) #fwd-hint:not([hidden])")
            assert "Chọn phường / khu vực" in desk.inner_text("#fwd-hint")
            assert desk.is_hidden("#fwd-form")
            desk.select_option("#t-area", "hai_chau")
            assert "lưu phiếu để xem cơ quan" in desk.inner_text("#fwd-hint")  # chosen, not saved: save first
            desk.fill("#t-address", "20 Trần Phú")
            desk.fill("#t-summary", SUMMARY)
            desk.select_option("#t-outcome", "report_taken")
            desk.click("#fwd-save")
            desk.wait_for_selector(f"#flash.ok >> text={code}")
            choice = desk.wait_for_selector(f"#fwd-choices input[value='{LIGHTS}']")
            assert choice.is_checked()  # the routing rule's pick for lighting in Hải Châu, ticked
            assert f"{lights} (gợi ý)" in desk.inner_text("#fwd-choices")
            assert the_ticket(served.db, code).area == "hai_chau"
            shot(desk, "desk-forward-01-suggested")

            other = page(b)  # the agent's second tab of the desk, opened during the call: it shows the box too
            login(other, served.base, "lan", PASSWORD)
            other.goto(f"{served.base}/agent")
            assert other.wait_for_selector(f"#fwd-choices input[value='{LIGHTS}']").is_checked()

            bg.run(hang_up(call))
            desk.wait_for_selector("#pop-ended:not([hidden])")
            assert desk.is_visible("#pop")  # a report still to forward stays in front after the call
            desk.fill("#t-note", DESK_NOTE)  # typed after the call, not saved: the forward saves it first
            desk.fill("#fwd-note", FORWARD_NOTE)
            desk.click("#fwd-send")
            desk.wait_for_selector(f"#fwd-done >> text={lights}")
            desk.wait_for_selector("#flash.ok >> text=Đã chuyển phiếu")

            [a] = assignments(served.db, code)
            assert (a.agency, a.note, a.created_by, a.processing) == (LIGHTS, FORWARD_NOTE, "lan", "in_progress")
            assert a.deadline_at > a.created_at
            ticket = the_ticket(served.db, code)
            assert (ticket.status, ticket.summary) == ("forwarded", SUMMARY)
            assert any(DESK_NOTE in n for n in notes(served.db, code)), notes(served.db, code)  # nothing lost
            due = a.deadline_at.replace(tzinfo=UTC).astimezone(ZoneInfo(served.site.timezone))
            done = desk.inner_text("#fwd-done")
            assert f"{lights} · hạn {due:%d/%m/%Y %H:%M} · Đang xử lý" in done, done
            assert desk.inner_text("#fwd-status") == "Trạng thái phiếu: Đã chuyển cơ quan"
            assert desk.is_hidden("#fwd-form")  # the only lighting agency has it: nothing more to offer
            assert desk.input_value("#fwd-note") == "" and desk.input_value("#t-note") == ""
            shot(desk, "desk-forward-02-forwarded")
            desk.set_viewport_size({"width": 390, "height": 844})
            desk.wait_for_function("() => window.innerWidth === 390")
            assert not too_wide(desk), too_wide(desk)
            desk.locator("#fwd").scroll_into_view_if_needed()
            shot(desk, "desk-forward-03-forwarded-390")
            assert not desk.errors, desk.errors

            # the other tab still offers the agency: a second forward is refused, said in Vietnamese
            other.set_viewport_size({"width": 390, "height": 844})
            other.click("#fwd-send")
            other.wait_for_selector("#flash.error")
            assert other.inner_text("#flash") == f"Phiếu đang được {lights} xử lý: không chuyển lần nữa."
            other.wait_for_selector(f"#fwd-done >> text={lights}")  # and the box shows what is true now
            assert other.is_hidden("#fwd-form")
            assert not too_wide(other), too_wide(other)
            other.locator("#fwd").scroll_into_view_if_needed()
            shot(other, "desk-forward-04-refused-390")
            assert len(assignments(served.db, code)) == 1  # nothing written by the refusal
            assert [e for e in other.errors if "409" not in e] == [], other.errors
    finally:
        if rang:
            bg.run(c.book.close())
        bg.close()
