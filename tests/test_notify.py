"""The notification outbox on real servers: email through an SMTP server (aiosmtpd), SMS through a
real Kannel (bearerbox + smsbox) to a fake operator; outages, permanent refusals, settings."""
import asyncio
import contextlib
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from config.reader import ConfigError
from config.secrets import load_or_create
from db import store
from db.models import Call, Ticket
from db.queries import notifications as books
from notify import Outbox, queue
from notify.outbox import NOT_CONFIGURED, backoff
from tests.harness.kannel import Kannel, KannelMissing
from tests.harness.site import make_site
from tests.harness.smtp_sink import SmtpSink

SENDER = "tongdai1022@danang.gov.vn"
SUBJECT = "Phản ánh 1022-261126-0001: đèn đường hỏng – cần xử lý"
BODY = ("Kính gửi Công ty Chiếu sáng Đà Nẵng,\n"
        "Lĩnh vực: Chiếu sáng công cộng. Khu vực: Quận Hải Châu.\n"
        "Nội dung: Đèn đường trước số 12 Lê Duẩn không sáng từ tối qua.\n"
        "Xem và trả lời: http://127.0.0.1:8080/a/xyz\n")
SMS = "1022-261126-0001: Đèn đường hỏng, Quận Hải Châu. Hạn xử lý 3 ngày làm việc. http://127.0.0.1:8080/a/xyz"


@pytest.fixture
def sink():
    server = SmtpSink(refuse=("khongco@danang.gov.vn",))
    yield server
    server.stop()


@pytest.fixture
def kannel(tmp_path):
    """A real Kannel whose sendsms password is the one in the test site's secrets file."""
    password = load_or_create(tmp_path / "data" / "secrets.toml", ["kannel_password"])["kannel_password"]
    try:
        gateway = Kannel(password=password)
    except KannelMissing as e:  # never a skip: CI must have the real gateway
        pytest.fail(f"real Kannel required: {e}")
    yield gateway
    gateway.close()


def seeded(tmp_path, sink=None, kannel=None):
    changes: dict = {"notify": {"retry_minutes": 1}}
    if sink is not None:
        changes["mail"] = {"host": "127.0.0.1", "port": sink.port, "sender": SENDER}
    if kannel is not None:
        changes["sms"] = {"kannel_url": kannel.sendsms_url, "sender": "1022"}
    site = make_site(tmp_path, **changes)
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    return site, db


def outbox(site, db):
    """Retries within a fraction of a second: the behaviour is the site's, only quicker."""
    return Outbox(site, db, first_retry=timedelta(seconds=0.2), max_retry=timedelta(seconds=0.5), poll_s=0.1,
                  send_timeout_s=5)


@contextlib.asynccontextmanager
async def running(box):
    """The outbox's loop as the engine runs it, cancelled (and awaited) at the end."""
    task = asyncio.create_task(box.run())
    try:
        yield box
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(check: Callable[[], object], timeout: float = 10, what: str = "condition"):
    """Poll `check` (run in a thread: it reads the database) until it is truthy; returns its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def a_ticket(db) -> int:
    now = datetime(2026, 11, 26, 2, 0)
    with Session(db) as s, s.begin():
        call = Call(uniqueid="9.1", started_at=now, language="vi", caller_number="0905123456")
        s.add(call)
        s.flush()
        ticket = Ticket(code="1022-261126-0001", call_id=call.id, status="open", priority=3, created_at=now,
                        kind="report", field="lighting")
        s.add(ticket)
        s.flush()
        return ticket.id


def email(db, to="lanh.dao@chieusang.danang.gov.vn", **kw) -> int:
    return queue(db, purpose="assigned", channel="email", recipient=to, subject=SUBJECT, body=BODY, **kw)


def sms(db, to="0905111222") -> int:
    return queue(db, purpose="assigned", channel="sms", recipient=to, subject=None, body=SMS)


async def test_queued_email_arrives_in_vietnamese(tmp_path, sink):
    site, db = seeded(tmp_path, sink=sink)
    async with running(outbox(site, db)):
        ticket = a_ticket(db)
        nid = email(db, ticket_id=ticket)
        (mail,) = await asyncio.to_thread(sink.wait_for, 1)
        assert mail.recipients == ("lanh.dao@chieusang.danang.gov.vn",) and mail.sender == SENDER
        assert mail.subject == SUBJECT and mail.text == BODY
        assert mail.message["From"] == SENDER and mail.message.get_content_charset() == "utf-8"
        row = await until(lambda: (v := books.view(db, nid)) and v.state == "sent" and v, what="sent")
        assert row.attempts == 1 and row.last_error is None and row.sent_at is not None
        assert [n.id for n in books.for_ticket(db, ticket)] == [nid]


async def test_queued_sms_arrives_through_kannel_with_diacritics(tmp_path, kannel):
    site, db = seeded(tmp_path, kannel=kannel)
    async with running(outbox(site, db)):
        nid = sms(db)
        (arrived,) = await asyncio.to_thread(kannel.receiver.wait_for, 1)
        assert arrived.to == "0905111222" and arrived.sender == "1022"
        assert arrived.text == SMS and arrived.params["coding"] == "2"  # UCS-2 on the air
        assert arrived.parts == 2  # over 70 UCS-2 characters: a concatenated SMS, joined by the phone
        await until(lambda: (v := books.view(db, nid)) and v.state == "sent", what="sent")


async def test_mail_server_down_then_back_sends_each_once(tmp_path, sink):
    site, db = seeded(tmp_path, sink=sink)
    sink.stop()
    async with running(outbox(site, db)) as box:
        ids = [email(db), email(db, to="pho.phong@chieusang.danang.gov.vn")]
        views = await until(lambda: all(v.attempts >= 2 for v in books.waiting(db)) and books.waiting(db),
                            what="two failed attempts each")
        assert {v.id for v in views} == set(ids)
        assert all(v.state == "queued" and "mail server unreachable" in (v.last_error or "") for v in views)
        sink.start()
        await until(lambda: all(books.view(db, i).state == "sent" for i in ids), what="sent after the outage")
        passes = box.passes
        await until(lambda: box.passes >= passes + 3, what="more passes")  # nothing goes out twice
        assert sorted(m.recipients[0] for m in sink.received) == ["lanh.dao@chieusang.danang.gov.vn",
                                                                  "pho.phong@chieusang.danang.gov.vn"]
        assert all(books.view(db, i).last_error is None for i in ids)


async def test_kannel_down_then_back_sends_each_once(tmp_path, kannel):
    site, db = seeded(tmp_path, kannel=kannel)
    kannel.stop()
    async with running(outbox(site, db)) as box:
        nid = sms(db)
        row = await until(lambda: (v := books.view(db, nid)) and v.attempts >= 2 and v, what="two failed attempts")
        assert row.state == "queued" and "Kannel unreachable" in (row.last_error or "")
        await asyncio.to_thread(kannel.start)
        await until(lambda: books.view(db, nid).state == "sent", what="sent after the outage")
        passes = box.passes
        await until(lambda: box.passes >= passes + 3, what="more passes")
        assert [a.text for a in kannel.receiver.arrived] == [SMS]


async def test_permanent_refusals_end_failed_with_the_reason(tmp_path, sink, kannel):
    site, db = seeded(tmp_path, sink=sink, kannel=kannel)
    box = outbox(site, db)
    bad_mail, good_mail = email(db, to="khongco@danang.gov.vn"), email(db)
    bad_sms, good_sms = sms(db, to="so-khong-hop-le"), sms(db)
    assert await box.send_due() == 4
    mail_row, sms_row = books.view(db, bad_mail), books.view(db, bad_sms)
    assert mail_row.state == "failed" and "550" in mail_row.last_error and mail_row.attempts == 1
    assert sms_row.state == "failed" and "Kannel HTTP 400" in sms_row.last_error and sms_row.attempts == 1
    assert books.view(db, good_mail).state == books.view(db, good_sms).state == "sent"
    assert [m.recipients for m in sink.received] == [("lanh.dao@chieusang.danang.gov.vn",)]
    assert await box.send_due() == 0  # a failed one is never tried again
    assert len(kannel.receiver.wait_for(1)) == 1


async def test_a_channel_not_configured_leaves_them_queued(tmp_path):
    site, db = seeded(tmp_path)
    ids = [email(db), sms(db)]
    assert await outbox(site, db).send_due() == 2
    for v in (books.view(db, i) for i in ids):
        assert v.state == "queued" and v.last_error == NOT_CONFIGURED and v.attempts == 0


def test_two_claimers_take_each_notification_once(tmp_path):
    site, db = seeded(tmp_path)
    ids = {email(db) for _ in range(5)}
    now, taken, start = datetime.now(), [], threading.Barrier(2)

    def claimer():
        start.wait()
        taken.extend(v.id for v in books.claim_due(db, now + timedelta(hours=1), timedelta(minutes=5)))

    threads = [threading.Thread(target=claimer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(ids)


def test_bad_queue_requests_are_refused(tmp_path):
    site, db = seeded(tmp_path)
    for kw in ({"channel": "fax", "recipient": "x"}, {"channel": "email", "recipient": "khong-phai-email"},
               {"channel": "sms", "recipient": "  "}):
        with pytest.raises(books.NotificationError):
            queue(db, purpose="assigned", subject=None, body="x", **kw)
    assert books.waiting(db) == []


def test_backoff_doubles_up_to_the_cap():
    first, cap = timedelta(minutes=5), timedelta(minutes=60)
    assert [backoff(n, first, cap) for n in (1, 2, 3, 4, 5, 1000)] == [timedelta(minutes=m)
                                                              for m in (5, 10, 20, 40, 60, 60)]


@pytest.mark.parametrize("table,values,key", [
    ("mail", {"port": 0}, "mail.port"),
    ("mail", {"sender": "khong-phai-email"}, "mail.sender"),
    ("mail", {"hots": "x"}, "mail.hots"),
    ("sms", {"kannel_url": "ftp://127.0.0.1/"}, "sms.kannel_url"),
    ("sms", {"sender": "Tổng đài 1022 Đà Nẵng"}, "sms.sender"),
    ("notify", {"retry_minutes": 30, "retry_max_minutes": 10}, "notify.retry_max_minutes"),
])
def test_bad_notify_settings_name_the_file_and_key(tmp_path, table, values, key):
    with pytest.raises(ConfigError) as e:
        make_site(tmp_path, **{table: values})
    assert e.value.key == key and e.value.file.endswith("site.toml")


def test_notify_settings_are_read(tmp_path):
    site = make_site(tmp_path, mail={"host": "smtp.danang.gov.vn", "port": 587, "starttls": True,
                                     "username": "tongdai", "sender": SENDER},
                     sms={"kannel_url": "http://127.0.0.1:13013/cgi-bin/sendsms", "sender": "1022"},
                     notify={"public_url": "https://1022.danang.gov.vn/", "retry_minutes": 2})
    n = site.notify
    assert (n.mail.host, n.mail.port, n.mail.starttls, n.mail.username) == ("smtp.danang.gov.vn", 587, True, "tongdai")
    assert n.sms.kannel_url.endswith("/cgi-bin/sendsms") and n.public_url == "https://1022.danang.gov.vn"
    assert (n.retry_minutes, n.retry_max_minutes) == (2, 60)
