"""Forwarding a ticket to agencies, from the 1022 side: the pure rules (who may receive it, the
ticket's status from its assignments, the notification texts), then the API on the served
console (no Asterisk): forward with its rows, events, links and queued email and SMS; refusals
that write nothing; reroute after a rejection; review (return, approve) and the citizen's reply."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from agencies.forwarding import AssignmentState, ForwardRefused, check_targets, forward_notice, reply_sms, \
    ticket_status
from config.agency_settings import AgencyData
from db.agency_models import AccessLink, Assignment, Notification
from db.clock import utcnow
from db.models import Callback, Ticket, TicketEvent
from db.queries import agencies as stored_agencies
from db.queries import assignments as stored
from db.queries.agency_work import use_link
from tests.harness.console import ServedConsole, add_ticket

CODE = "1022-261126-0101"  # urban order in Hải Châu, answered by agent 101 (lan)
LIGHT = "1022-261126-0102"  # lighting, no area yet


def S(processing: str, review: str | None = None) -> AssignmentState:
    return AssignmentState(processing, review)


def test_the_tickets_status_follows_its_assignments():
    assert ticket_status([]) is None
    assert ticket_status([S("in_progress")]) == "forwarded"
    assert ticket_status([S("answered", "pending"), S("in_progress")]) == "forwarded"
    assert ticket_status([S("rejected")]) == "forwarded"  # someone at 1022 must reroute it
    assert ticket_status([S("answered", "pending"), S("closed", "approved")]) == "answered"
    assert ticket_status([S("in_progress", "returned")]) == "forwarded"
    assert ticket_status([S("closed", "approved"), S("closed", "approved")]) == "resolved"
    # a rerouted one (closed, never approved) does not count: its successor speaks for the ticket
    assert ticket_status([S("closed"), S("answered", "pending")]) == "answered"
    assert ticket_status([S("closed")]) is None


def test_who_may_receive_a_forward():
    lights = AgencyData("lights", "Sở Xây dựng", "department", ("lighting",), ())
    ward = AgencyData("ward", "UBND quận Hải Châu", "district", ("urban_order",), ("hai_chau",))
    known = {"lights": lights, "ward": ward}

    def refused(keys, field="lighting", area="hai_chau", has_areas=True, holding=()):
        with pytest.raises(ForwardRefused) as e:
            check_targets(known, keys, field, area, has_areas, holding)
        return e.value.code, e.value.agency

    assert refused([]) == ("no_agencies", None)
    assert refused(["lights"], field=None) == ("no_field", None)
    assert refused(["lights"], area=None) == ("no_area", None)
    assert refused(["nobody"]) == ("unknown_agency", "nobody")
    assert refused(["lights", "ward"]) == ("not_their_field", "ward")
    assert refused(["ward"], field="urban_order", area="son_tra") == ("not_their_field", "ward")
    assert refused(["lights"], holding=("lights",)) == ("already_forwarded", "lights")
    assert check_targets(known, ["lights", "lights"], "lighting", "hai_chau", True, ()) == [lights]
    assert check_targets(known, ["lights"], "lighting", None, False, ()) == [lights]  # a site without areas


def test_the_notification_carries_code_field_area_summary_and_link():
    n = forward_notice("1022", CODE, "Chiếu sáng công cộng", "Quận Hải Châu", "Đèn đường tắt " * 60, "Gấp",
                       "16:00 02/12/2026", "Sở Xây dựng")
    for text in (n.email, n.sms):
        for part in (CODE, "Chiếu sáng công cộng", "Quận Hải Châu", "Đèn đường tắt", "16:00 02/12/2026", "{link}"):
            assert part in text, (part, text)
    assert "Gấp" in n.email and CODE in n.subject
    assert len(n.sms.replace("{link}", "x" * 60)) <= 320
    assert len(reply_sms("1022", CODE, "Đã thay bóng đèn. " * 40)) <= 320


@pytest.fixture
async def served(tmp_path, backend):
    async with ServedConsole(tmp_path) as served:
        stored_agencies.sync(served.db, served.site.agencies)
        add_ticket(served.db, served.site.paths.recordings, CODE, "101", field="urban_order")
        add_ticket(served.db, served.site.paths.recordings, LIGHT, "101", number="0905333444", field="lighting")
        with Session(served.db) as s, s.begin():
            s.execute(update(Ticket).where(Ticket.code == CODE).values(
                area="hai_chau", summary="Lấn chiếm vỉa hè trước số 12 Lê Duẩn"))
            s.execute(update(Ticket).where(Ticket.code == LIGHT).values(summary="Đèn đường tắt cả dãy", reply_by="sms"))
        yield served


def count(db, model, *where) -> int:
    with Session(db) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def events(db, code: str, kind: str) -> list[str]:
    with Session(db) as s:
        return list(s.scalars(select(TicketEvent.detail).join(Ticket).where(Ticket.code == code,
                                                                            TicketEvent.kind == kind)))


def status(db, code: str) -> str:
    with Session(db) as s:
        return s.scalar(select(Ticket.status).where(Ticket.code == code))


async def post(cl, path: str, data: dict) -> tuple[int, dict]:
    async with cl.request("POST", path, json=data) as r:
        return r.status, await r.json()


async def test_refused_forwards_say_why_and_write_nothing(served):
    lan, minh = await served.logged_in("lan"), await served.logged_in("minh")
    for code, keys, want in ((LIGHT, ["so_xay_dung"], (400, "no_area")),
                             (CODE, ["so_tinh"], (400, "unknown_agency")),
                             (CODE, ["cay_xanh"], (400, "not_their_field")),
                             (CODE, [], (400, "no_agencies"))):
        got, body = await post(lan, f"/api/tickets/{code}/forward", {"agencies": keys, "note": ""})
        assert (got, body["code"]) == want, body
    got, body = await post(lan, f"/api/tickets/{CODE}/forward", {"agencies": ["cay_xanh"]})
    assert body["error"] == ("Công ty TNHH MTV Công viên Cây xanh Đà Nẵng không xử lý lĩnh vực hoặc khu vực "
                             "của phiếu này.")
    got, body = await post(minh, f"/api/tickets/{CODE}/forward", {"agencies": ["ubnd_hai_chau"]})
    assert (got, body["code"]) == (403, "not_yours")
    got, body = await post(lan, "/api/tickets/1022-000000-0000/forward", {"agencies": ["ubnd_hai_chau"]})
    assert (got, body["code"]) == (404, "no_ticket")
    for model in (Assignment, Notification, AccessLink):
        assert count(served.db, model) == 0
    assert events(served.db, CODE, "forward") == [] and status(served.db, CODE) == "closed"


async def test_forward_reroute_review_and_the_citizens_callback(served):
    lan, hoa = await served.logged_in("lan"), await served.logged_in("hoa")
    async with lan.request("GET", f"/api/tickets/{CODE}/suggest") as r:
        assert [a["key"] for a in (await r.json())["agencies"]][:2] == ["ubnd_hai_chau", "so_xay_dung"]
    got, body = await post(lan, f"/api/tickets/{CODE}/forward", {"agencies": ["ubnd_hai_chau"], "note": "Gấp"})
    assert got == 201 and body["status"] == "forwarded", body
    [a] = body["assignments"]
    assert (a["agency"], a["processing"], a["delivery"], a["note"]) == ("ubnd_hai_chau", "in_progress", "queued", "Gấp")
    assert a["agency_name"] == "Ủy ban nhân dân quận Hải Châu" and not a["overdue"]
    assert status(served.db, CODE) == "forwarded" and len(events(served.db, CODE, "forward")) == 1
    contacts = [c for c in stored_agencies.get(served.db, "ubnd_hai_chau").contacts if c.active]
    with Session(served.db) as s:
        sent = list(s.scalars(select(Notification).where(Notification.assignment_id == a["id"])))
    assert len(sent) == sum(bool(c.email) + bool(c.mobile) for c in contacts) > 0
    for n in sent:
        assert n.state == "queued" and n.purpose == "assignment"
        for part in (CODE, "Quận Hải Châu", "Lấn chiếm vỉa hè", "/a/"):
            assert part in n.body, (part, n.body)
    token = sent[0].body.split("/a/")[1].split()[0]
    assert use_link(served.db, token, utcnow()).assignment_id == a["id"]  # the link opens that assignment
    got, body = await post(lan, f"/api/tickets/{CODE}/forward", {"agencies": ["ubnd_hai_chau"]})
    assert (got, body["code"]) == (409, "already_forwarded")

    got, body = await post(hoa, f"/api/assignments/{a['id']}/review", {"decision": "approve"})
    assert (got, body["code"]) == (409, "not_answered")
    got, body = await post(lan, f"/api/assignments/{a['id']}/reroute", {"agency": "so_xay_dung"})
    assert (got, body["code"]) == (409, "not_rejected")
    with Session(served.db) as s, s.begin():  # the agency's side (another slice) rejects it
        s.execute(update(Assignment).where(Assignment.id == a["id"]).values(
            processing="rejected", reason="Không thuộc thẩm quyền", suggested_agency="so_xay_dung"))
    got, body = await post(lan, f"/api/assignments/{a['id']}/reroute", {"agency": "so_xay_dung", "note": "Chuyển lại"})
    assert got == 201, body
    old, new = body["assignments"]
    assert (old["processing"], old["closed_at"] is not None, old["late"]) == ("closed", True, None)
    assert (new["agency"], new["replaces"], new["processing"]) == ("so_xay_dung", old["id"], "in_progress")
    assert status(served.db, CODE) == "forwarded" and len(events(served.db, CODE, "reroute")) == 1

    answered_at = utcnow()
    with Session(served.db) as s, s.begin():  # the agency answers
        s.execute(update(Assignment).where(Assignment.id == new["id"]).values(
            processing="answered", review="pending", answer="Đã giải tỏa vỉa hè.", answered_at=answered_at))
    got, body = await post(hoa, f"/api/assignments/{new['id']}/review", {"decision": "return"})
    assert (got, body["code"]) == (400, "comment_required")
    got, body = await post(lan, f"/api/assignments/{new['id']}/review", {"decision": "approve"})
    assert got == 403  # an agent does not review
    got, body = await post(hoa, f"/api/assignments/{new['id']}/review", {"decision": "return", "comment": "Thiếu ảnh"})
    assert got == 200 and body["status"] == "forwarded"
    assert (body["assignments"][1]["processing"], body["assignments"][1]["review"]) == ("in_progress", "returned")
    with Session(served.db) as s, s.begin():
        s.execute(update(Assignment).where(Assignment.id == new["id"]).values(processing="answered", review="pending"))
    assert count(served.db, Callback) == 0
    got, body = await post(hoa, f"/api/assignments/{new['id']}/review", {"decision": "approve"})
    assert got == 200 and body["status"] == "resolved", body
    done = stored.get(served.db, new["id"])
    assert (done.processing, done.review, done.late, done.reviewed_by) == ("closed", "approved", False, "hoa")
    with Session(served.db) as s:
        [cb] = s.scalars(select(Callback))
        assert (cb.number, cb.state) == ("0905111222", "pending")
    assert len(events(served.db, CODE, "review")) == 2 and len(events(served.db, CODE, "reply")) == 1


async def test_an_approved_answer_goes_by_sms_when_the_citizen_asked(served):
    lan, hoa = await served.logged_in("lan"), await served.logged_in("hoa")
    with Session(served.db) as s, s.begin():
        s.execute(update(Ticket).where(Ticket.code == LIGHT).values(area="son_tra"))
    got, body = await post(lan, f"/api/tickets/{LIGHT}/forward", {"agencies": ["so_xay_dung"]})
    assert got == 201
    aid = body["assignments"][0]["id"]
    deadline = stored.get(served.db, aid).deadline_at
    late_answer = deadline + timedelta(hours=1)
    with Session(served.db) as s, s.begin():
        s.execute(update(Assignment).where(Assignment.id == aid).values(
            processing="answered", review="pending", answer="Đã thay bóng đèn.", answered_at=late_answer))
    got, body = await post(hoa, f"/api/assignments/{aid}/review", {"decision": "approve", "comment": "Tốt"})
    assert got == 200 and body["status"] == "resolved"
    assert stored.get(served.db, aid).late is True  # answered after its deadline: stored once, at closing
    with Session(served.db) as s:
        [sms] = s.scalars(select(Notification).where(Notification.purpose == "reply"))
    assert (sms.channel, sms.recipient) == ("sms", "0905333444")
    assert LIGHT in sms.body and "Đã thay bóng đèn." in sms.body
    assert count(served.db, Callback) == 0
    async with hoa.request("GET", f"/api/tickets/{LIGHT}/assignments") as r:
        assert (await r.json())["assignments"][0]["review"] == "approved"
    async with hoa.request("GET", f"/tickets/{LIGHT}") as r:  # the ticket page carries the section, in Vietnamese
        page = await r.text()
        assert r.status == 200 and 'id="forwarding"' in page and "Chuyển cơ quan xử lý" in page
        assert "/static/forwarding.js" in page
    async with hoa.request("GET", "/api/agencies") as r:
        keys = [a["key"] for a in (await r.json())["agencies"]]
        assert "so_xay_dung" in keys and "ubnd_hai_chau" in keys


async def test_an_assignment_is_sent_once_a_notification_went_out_failed_when_all_were_refused(served):
    from db.queries import notifications
    lan = await served.logged_in("lan")
    got, body = await post(lan, f"/api/tickets/{CODE}/forward", {"agencies": ["ubnd_hai_chau"]})
    [a] = body["assignments"]
    with Session(served.db) as s:
        ids = list(s.scalars(select(Notification.id).where(Notification.assignment_id == a["id"])))
    assert len(ids) >= 2  # email and SMS to the contact points
    for n in ids:
        notifications.mark_failed(served.db, n, "550 no such mailbox", utcnow())
    with Session(served.db) as s:
        row = s.get(Assignment, a["id"])
        assert (row.delivery, row.delivery_reason) == ("failed", "550 no such mailbox")
    with Session(served.db) as s, s.begin():  # one queued again (the contact's address fixed), then sent
        s.execute(update(Notification).where(Notification.id == ids[0]).values(state="queued"))
    notifications.mark_sent(served.db, ids[0], utcnow())
    with Session(served.db) as s:
        assert s.get(Assignment, a["id"]).delivery == "sent"
