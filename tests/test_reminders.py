"""Reminders and escalation (issue 16 part 4): the pure step decisions (50 % and 80 % remind the
agency, 100 % is overdue; measured in the deadline's own units, so a weekend does not count
towards a working-hours deadline), then on the served console (no Asterisk) a forwarded
assignment walked through its deadline with a test clock: exactly two reminders and one
escalation, each queued once even when two passes race, the timeline's sentences, and the
ticket overdue in the tickets list and on the wallboard."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agencies.escalation import remind_due
from agencies.reminders import step_due, step_notice, step_reached
from config import DEMO_SITE, load_site
from db.agency_models import Assignment, Notification
from db.clock import utcnow
from db.models import Ticket, TicketEvent
from db.queries import agencies as stored_agencies
from db.queries import reminders as books
from db.queries.agency_work import use_link
from tests.harness.console import ServedConsole, add_ticket
from web.story import describe

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SITE = load_site(DEMO_SITE)
CODE = "1022-261126-0101"  # urban order in Hải Châu: 5 working days (the site's default)
OTHER = "1022-261126-0102"  # never forwarded


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A site-local moment as the database keeps it (naive UTC)."""
    return datetime(y, mo, d, h, mi, tzinfo=VN).astimezone(UTC).replace(tzinfo=None)


def test_each_step_once_and_only_the_highest_reached():
    assert step_reached(0.0, 0) is None and step_reached(0.49, 0) is None
    assert step_reached(0.5, 0) == 50 and step_reached(0.79, 50) is None
    assert step_reached(0.8, 50) == 80 and step_reached(0.95, 80) is None
    assert step_reached(1.0, 80) == 100 and step_reached(3.0, 100) is None
    # the engine was down across several steps: the overdue one alone, no stale "half-way" reminder
    assert step_reached(1.2, 0) == 100 and step_reached(0.9, 0) == 80


def test_working_hours_count_office_time_not_the_weekend():
    # water: 8 working hours. Forwarded Friday 16:00: 1 h on Friday, 4 h Monday morning, then 3 h from
    # 13:30: due Monday 16:30. Office hours 07:30-11:30 and 13:30-17:00.
    made, due_at = utc(2025, 11, 7, 16), utc(2025, 11, 10, 16, 30)

    def step(now: datetime, reminded: int = 0) -> int | None:
        return step_due(SITE, field="water", agency="cap_nuoc", created_at=made, deadline_at=due_at, now=now,
                        reminded=reminded)

    assert step(utc(2025, 11, 8, 12)) is None  # Saturday: 1 h of 8 passed, though a third of the clock time
    assert step(utc(2025, 11, 10, 7)) is None  # Monday before opening: 87 % of the clock, 12.5 % of the office
    assert step(utc(2025, 11, 10, 10, 30)) == 50  # 1 h + 3 h = 4 h of 8
    assert step(utc(2025, 11, 10, 14), 50) is None  # 5.5 h: 69 %
    assert step(utc(2025, 11, 10, 15), 50) == 80  # 6.5 h: 81 %
    assert step(utc(2025, 11, 10, 16, 30), 80) == 100


def test_around_the_clock_deadlines_count_every_hour():
    made, due_at = utc(2025, 11, 8, 22), utc(2025, 11, 9, 2)  # trees: 4 hours, Saturday night
    assert step_due(SITE, field="trees", agency="cay_xanh", created_at=made, deadline_at=due_at,
                    now=utc(2025, 11, 9, 0), reminded=0) == 50


def test_the_texts_carry_code_field_area_summary_deadline_and_link():
    for step in (50, 80, 100):
        n = step_notice("1022", step, CODE, "Trật tự đô thị", "Quận Hải Châu", "Lấn chiếm vỉa hè " * 40,
                        "08:00 09/03/2026", "UBND quận Hải Châu")
        for text in (n.email, n.sms):
            for part in (CODE, "Trật tự đô thị", "Quận Hải Châu", "Lấn chiếm vỉa hè", "08:00 09/03/2026", "{link}"):
                assert part in text, (step, part, text)
        assert len(n.sms.replace("{link}", "x" * 60)) <= 320
        assert ("QUÁ HẠN" in n.subject) == (step == 100) and CODE in n.subject


@pytest.fixture
async def served(tmp_path, backend):
    async with ServedConsole(tmp_path) as served:
        stored_agencies.sync(served.db, served.site.agencies)
        add_ticket(served.db, served.site.paths.recordings, CODE, "101", field="urban_order")
        add_ticket(served.db, served.site.paths.recordings, OTHER, "101", number="0905333444", field="lighting")
        with Session(served.db) as s, s.begin():
            s.execute(update(Ticket).where(Ticket.code == CODE).values(
                area="hai_chau", summary="Lấn chiếm vỉa hè trước số 12 Lê Duẩn"))
        yield served


def sent(db, purpose: str) -> list[Notification]:
    with Session(db) as s:
        return list(s.scalars(select(Notification).where(Notification.purpose == purpose).order_by(Notification.id)))


def timeline(db, *kinds: str) -> list[dict]:
    with Session(db) as s:
        rows = s.execute(select(TicketEvent.kind, TicketEvent.detail).where(TicketEvent.kind.in_(kinds))
                         .order_by(TicketEvent.id)).all()
    return [{"kind": k, "detail": json.loads(d)} for k, d in rows]


async def list_row(cl, code: str) -> dict:
    async with cl.request("GET", "/api/tickets") as r:
        assert r.status == 200
        return next(t for t in (await r.json())["tickets"] if t["code"] == code)


async def test_two_reminders_one_escalation_and_the_ticket_overdue(served):
    lan, hoa = await served.logged_in("lan"), await served.logged_in("hoa")
    async with lan.request("POST", f"/api/tickets/{CODE}/forward", json={"agencies": ["ubnd_hai_chau"]}) as r:
        assert r.status == 201, await r.text()
        aid = (await r.json())["assignments"][0]["id"]
    assert not (await list_row(lan, CODE))["overdue"]
    # a test clock: made Monday 2 March 2026 08:00, due 5 working days later, Monday 9 March 08:00
    # (37.5 office hours: 50 % on Wednesday 13:45, 80 % on Friday 08:00)
    with Session(served.db) as s, s.begin():
        s.execute(update(Assignment).where(Assignment.id == aid).values(created_at=utc(2026, 3, 2, 8),
                                                                       deadline_at=utc(2026, 3, 9, 8)))
    contacts = [c for c in stored_agencies.get(served.db, "ubnd_hai_chau").contacts if c.active]
    per_round = sum(bool(c.email) + bool(c.mobile) for c in contacts)
    heads = [c for c in contacts if c.head] or contacts
    assert per_round > 0 and heads

    def at(*moment: int) -> list[tuple[int, int]]:
        return remind_due(served.site, served.db, utc(*moment))

    assert at(2026, 3, 3, 12) == []  # Tuesday noon: 14.5 h of 37.5
    # two engines at the same moment: one of them sends the step
    both = await asyncio.gather(*(asyncio.to_thread(remind_due, served.site, served.db, utc(2026, 3, 4, 14))
                                  for _ in range(2)))
    assert sorted(both) == [[], [(aid, 50)]]
    assert at(2026, 3, 4, 16) == [] and len(sent(served.db, "reminder")) == per_round
    assert at(2026, 3, 6, 9) == [(aid, 80)] and at(2026, 3, 6, 10) == []
    assert books.send_step(served.db, books.Step(aid, 80, utcnow(), "s", "e {link}", "m {link}", "x/", 1)) is None
    assert at(2026, 3, 9, 8, 30) == [(aid, 100)] and at(2026, 3, 10, 9) == []

    reminders, overdue = sent(served.db, "reminder"), sent(served.db, "overdue")
    assert len(reminders) == 2 * per_round and len(overdue) == sum(bool(c.email) + bool(c.mobile) for c in heads)
    assert {n.recipient for n in overdue} == {a for c in heads for a in (c.email, c.mobile) if a}
    for n in reminders + overdue:
        assert n.state == "queued" and n.assignment_id == aid
        for part in (CODE, "Trật tự đô thị", "Hải Châu", "Lấn chiếm vỉa hè", "08:00 09/03/2026", "/a/"):
            assert part in n.body, (part, n.body)
    token = overdue[0].body.split("/a/")[1].split()[0]
    assert use_link(served.db, token, utc(2026, 3, 9, 9)).assignment_id == aid  # its own link opens the case

    steps = timeline(served.db, "reminder", "overdue")
    assert [(e["kind"], e["detail"]["step"]) for e in steps] == [("reminder", 50), ("reminder", 80), ("overdue", 100)]
    vi = [describe(e, served.site, "vi") for e in steps]
    assert "đã qua 50% thời hạn xử lý" in vi[0] and "Ủy ban nhân dân quận Hải Châu" in vi[0], vi
    assert vi[2].startswith("Phiếu QUÁ HẠN tại Ủy ban nhân dân quận Hải Châu (hạn 09/03/2026 08:00)"), vi
    assert "OVERDUE" in describe(steps[2], served.site, "en")

    # the 1022 side sees it: the tickets list and the wallboard's count, red
    row, other = await list_row(lan, CODE), await list_row(hoa, OTHER)
    assert row["overdue"] is True and other["overdue"] is False
    async with hoa.request("GET", "/api/wallboard") as r:
        board = await r.json()
    assert (board["overdue"], board["overdue_level"]) == (1, "red")

    # answered: no longer overdue, and no more steps
    with Session(served.db) as s, s.begin():
        s.execute(update(Assignment).where(Assignment.id == aid).values(processing="answered", review="pending"))
    assert not (await list_row(lan, CODE))["overdue"]
    assert books.overdue_count(served.db, utcnow()) == 0 and books.pending(served.db) == []
