"""A ticket told as people read it (web/story.py): the IVR path and each event as a sentence,
in Vietnamese and in English, from the demo site and its IVR file."""
from __future__ import annotations

import json
import re

import pytest

from tests.harness.site import make_site
from web import story
from web.language import CATALOGS


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("story"))


REPORT_CALL = [
    {"kind": "answer", "detail": {"caller": "0905111222"}},
    {"kind": "menu", "detail": {"menu": "main", "digit": "2", "choice": "menu", "to": "report"}},
    {"kind": "menu", "detail": {"menu": "report", "digit": "4", "choice": "report"}},
    {"kind": "report", "detail": {"field": "trees"}},
    {"kind": "queue", "detail": {"queue": "incidents", "step": "join"}},
    {"kind": "abandon", "detail": {"queue": "incidents", "position": 2, "original_position": 3, "wait": 40}},
    {"kind": "hangup", "detail": {"by": "caller", "at": "queue:incidents"}},
]

# every kind of event the engine, the console and the reconciler write, with a real detail
EVERY_KIND = REPORT_CALL + [
    {"kind": "after_hours", "detail": {"local_time": "Thu 17:35"}},
    {"kind": "language", "detail": {"menu": "closed", "digit": "9", "choice": "language", "language": "en"}},
    {"kind": "invalid", "detail": {"menu": "report", "digit": "3", "attempt": 1}},
    {"kind": "invalid", "detail": {"menu": "callback-number", "digits": "12"}},
    {"kind": "timeout", "detail": {"menu": "main", "attempt": 3, "then": "operator"}},
    {"kind": "menu", "detail": {"menu": "queue:incidents", "digit": "3", "choice": "menu", "to": "emergency"}},
    {"kind": "emergency", "detail": {"step": "chosen", "service": "113", "name": "police", "mode": "transfer",
                                     "from": "menu:report"}},
    {"kind": "emergency", "detail": {"step": "ended", "service": "113", "outcome": "ANSWER", "ring_s": 3.2,
                                     "talk_s": 9.0}},
    {"kind": "transfer", "detail": {"to": "113", "via": "trunk"}},
    {"kind": "transfer", "detail": {"to": "113", "result": "NOANSWER"}},
    {"kind": "transfer", "detail": {"to": "114", "by": "agent101", "via": "agent", "from": "console"}},
    {"kind": "transfer", "detail": {"to": "agent 103", "by": "agent101", "kind": "agent", "via": "console"}},
    {"kind": "transfer", "detail": {"to": "queue operator", "by": "agent101", "kind": "queue", "via": "console"}},
    {"kind": "transfer", "detail": {"to": "5555", "by": "agent101", "via": "phone"}},
    {"kind": "hold", "detail": {"by": "agent101"}},
    {"kind": "resume", "detail": {"by": "agent101"}},
    {"kind": "queue", "detail": {"queue": "incidents", "step": "leave", "result": "TIMEOUT"}},
    {"kind": "queue", "detail": {"queue": "operator", "step": "overflow", "after": "TIMEOUT"}},
    {"kind": "agent", "detail": {"agent": "101", "queue": "incidents", "wait": 4}},
    {"kind": "agent_complete", "detail": {"agent": "101", "talk": 60, "ended_by": "caller"}},
    {"kind": "voicemail", "detail": {"step": "record", "number": "0905111222"}},
    {"kind": "callback", "detail": {"step": "offered", "queue": "incidents", "expected_wait": 300, "agents": 1}},
    {"kind": "callback", "detail": {"step": "scheduled", "number": "0905111222", "queue": "incidents", "due": "now"}},
    {"kind": "callback", "detail": {"step": "scheduled", "number": "0905111222", "due": "2026-11-27T07:30+07:00"}},
    {"kind": "callback", "detail": {"step": "impossible", "reason": "no valid number"}},
    {"kind": "callback", "detail": {"outcome": "no_answer", "by": "101", "attempt": 3, "state": "unreachable"}},
    {"kind": "recording_failed", "detail": {"error": "disk full", "store": "/x"}},
    {"kind": "reconciled", "detail": {"source": "cdr", "note": "the engine stopped during this call"}},
    {"kind": "queue", "detail": {"queue": "operator", "step": "join", "source": "queue_log"}},
    {"kind": "edit", "detail": {"by": "lan", "area": "hai_chau", "status": "forwarded", "summary": "Cây đổ"}},
    {"kind": "note", "detail": {"by": "lan", "text": "Người dân đang chờ"}},
    {"kind": "edit", "detail": {"by": "lan", "reply_by": "sms"}},
    {"kind": "outcome", "detail": {"by": "lan", "outcome": "report_taken"}},
    {"kind": "web_report", "detail": {"source": "web", "photos": 2, "language": "vi"}},
    {"kind": "web_report", "detail": {"source": "open311", "photos": 0, "language": "en"}},
    {"kind": "status_lookup", "detail": {"by": "caller_number", "found": True, "code": "1022-261120-0042"}},
    {"kind": "status_lookup", "detail": {"by": "caller_number", "found": False}},
    {"kind": "status_lookup", "detail": {"by": "code", "code": "1022-261120-0042", "found": True, "own": False}},
    {"kind": "status_lookup", "detail": {"by": "code", "code": "1022-261120-0099", "found": False}},
    {"kind": "status_lookup", "detail": {"error": "could not connect to server"}},
]


def test_the_ivr_path_names_menus_and_options_from_the_ivr_file(site):
    assert story.ivr_path(REPORT_CALL, site, "vi") == "Menu chính → 2 Phản ánh sự cố → 4 Cây xanh"
    assert story.ivr_path(REPORT_CALL, site, "en") == "Main menu → 2 Report an incident → 4 Trees"
    from_queue = [{"kind": "menu", "detail": {"menu": "queue:incidents", "digit": "3", "choice": "menu",
                                              "to": "emergency"}},
                  {"kind": "menu", "detail": {"menu": "emergency", "digit": "1", "choice": "emergency"}}]
    assert story.ivr_path(from_queue, site, "vi") == "Hàng đợi Sự cố → 3 Trường hợp khẩn cấp → 1 Gọi công an 113"
    assert story.ivr_path([], site, "vi") == ""


def test_an_unknown_menu_or_a_missing_ivr_file_still_gives_a_path(site, tmp_path):
    odd = [{"kind": "menu", "detail": {"menu": "old-menu", "digit": "5"}}]
    assert story.ivr_path(odd, site, "vi") == "old-menu → 5"
    from dataclasses import replace
    lost = replace(site, ivr_file=tmp_path / "gone.toml")
    assert story.ivr_path(REPORT_CALL, lost, "en") == "Main menu → 2 report → 4"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_event_kind_reads_as_a_sentence(site, lang):
    for event in EVERY_KIND:
        text = story.describe(event, site, lang)
        assert text and not re.search(r"\w=\S", text), (event, text)  # never raw key=value
        assert "story." not in text and "{" not in text, (event, text)  # no missing message, no placeholder
        assert "_" not in text, (event, text)  # no raw code (hai_chau, report_taken, no_answer)


def test_sentences_say_what_happened_with_display_names(site):
    vi = {e["kind"] + str(i): story.describe(e, site, "vi") for i, e in enumerate(EVERY_KIND)}
    en = {e["kind"] + str(i): story.describe(e, site, "en") for i, e in enumerate(EVERY_KIND)}
    texts_vi, texts_en = list(vi.values()), list(en.values())
    assert "Khách gác máy khi đang chờ ở hàng đợi Sự cố (vị trí 2, đã chờ 40 giây)" in texts_vi
    assert "The caller hung up while waiting in the Incidents queue (position 2, after 40 s)" in texts_en
    assert "Khách bấm 2 (Phản ánh sự cố) ở Menu chính" in texts_vi
    assert "Khách chọn gọi khẩn cấp Công an (113) từ menu Phản ánh sự cố" in texts_vi
    assert "Cuộc gọi tới Công an (113) kết thúc: đã nghe máy (đổ chuông 3 giây, nói chuyện 9 giây)" in texts_vi
    assert "Tổng đài viên 101 chuyển khách tới tổng đài viên 103" in texts_vi
    assert "Hẹn gọi lại số 0905111222 lúc 27/11/2026 07:30" in texts_vi
    assert "lan đã sửa: Phường / khu vực → Quận Hải Châu, Trạng thái → Đã chuyển cơ quan, Nội dung → “Cây đổ”" \
        in texts_vi
    assert "lan changed: Ward / area → Hai Chau District, Status → Forwarded, Summary → “Cây đổ”" in texts_en
    assert "lan đã sửa: Cách trả lời công dân → Tin nhắn SMS" in texts_vi
    assert "Khách vào hàng đợi Tổng đài viên (theo nhật ký tổng đài)" in texts_vi


def test_an_unknown_kind_is_a_readable_sentence(site):
    event = {"kind": "wrapup_started", "detail": {"agent": "101", "reason_code": "lunch"}}
    assert story.describe(event, site, "vi") == "Sự kiện “wrapup started”: agent 101, reason code lunch"
    assert story.describe(event, site, "en") == "Event “wrapup started”: agent 101, reason code lunch"
    assert story.describe({"kind": "ping", "detail": None}, site, "en") == "Event “ping”"


def test_describe_ticket_adds_the_path_and_each_events_text(site):
    record = {"kind": "report", "events": [dict(e, at="2026-11-26T02:00:00Z") for e in REPORT_CALL]}
    told = story.describe_ticket(record, site, "en")
    assert told["ivr_path_text"] == "Main menu → 2 Report an incident → 4 Trees"
    assert told["events"][0]["text"] == "The hotline answered a call from 0905111222"
    assert all(e["text"] for e in told["events"])


def test_the_story_messages_exist_in_both_languages():
    vi = json.loads((CATALOGS / "vi" / "tickets.json").read_text(encoding="utf-8"))
    en = json.loads((CATALOGS / "en" / "tickets.json").read_text(encoding="utf-8"))
    assert set(vi) == set(en)
    assert all(v.strip() for v in vi.values()) and all(v.strip() for v in en.values())


def test_the_agency_steps_read_as_sentences(site):
    forward = {"kind": "forward", "detail": {"agency": "ubnd_hai_chau", "by": "lan", "note": "Gấp",
                                             "deadline_at": "2026-12-04T09:00:00Z"}}
    assert story.describe(forward, site, "vi") == ("lan chuyển phiếu tới Ủy ban nhân dân quận Hải Châu, hạn xử lý "
                                                   "04/12/2026 16:00 — ghi chú: “Gấp”")
    assert story.describe(forward, site, "en").startswith("lan forwarded the ticket to Ủy ban nhân dân quận Hải Châu")
    review = {"kind": "review", "detail": {"agency": "ubnd_hai_chau", "by": "hoa", "decision": "approve"}}
    assert story.describe(review, site, "vi") == "hoa duyệt câu trả lời của Ủy ban nhân dân quận Hải Châu"
    reply = {"kind": "reply", "detail": {"by": "callback", "callback": 3}}
    assert story.describe(reply, site, "vi") == "Đã tạo việc gọi lại để báo câu trả lời cho người dân"


def test_the_agencys_own_steps_read_as_sentences(site):
    answered = {"kind": "agency_answered", "detail": {"agency": "so_xay_dung", "by": "soxd_hung", "late": True,
                                                      "files": ["bien-ban.pdf"]}}
    assert story.describe(answered, site, "vi") == ("Sở Xây dựng thành phố Đà Nẵng đã trả lời (soxd_hung), kèm tệp "
                                                    "bien-ban.pdf — quá hạn")
    rejected = {"kind": "agency_rejected", "detail": {"agency": "so_xay_dung", "by": "x", "reason": "Không thuộc",
                                                      "suggested_agency": "ubnd_hai_chau"}}
    assert story.describe(rejected, site, "en").endswith("suggests Ủy ban nhân dân quận Hải Châu")


def test_a_web_report_and_a_status_asked_by_phone_read_as_sentences(site):
    web = {"kind": "web_report", "detail": {"source": "web", "photos": 1, "language": "vi"}}
    assert story.describe(web, site, "vi") == ("Người dân gửi phản ánh qua cổng thông tin điện tử, kèm 1 ảnh "
                                               "(trang tiếng Việt)")
    assert story.describe(web, site, "en") == ("A citizen reported on the public portal, with 1 photo "
                                               "(the Vietnamese page)")
    client = {"kind": "web_report", "detail": {"source": "open311", "photos": 3}}
    assert story.describe(client, site, "en") == "A report came in from another system through Open311, with 3 photos"
    by_number = {"kind": "status_lookup", "detail": {"by": "caller_number", "found": True, "code": "1022-261120-0042"}}
    assert story.describe(by_number, site, "vi") == ("Khách hỏi tình trạng phản ánh: số gọi đến có phiếu "
                                                     "1022-261120-0042 đang xử lý, được đọc ngay")
    keyed = {"kind": "status_lookup", "detail": {"by": "code", "code": "1022-261120-0042", "found": True, "own": True}}
    assert story.describe(keyed, site, "en") == ("The caller keyed case number 1022-261120-0042: reported from this "
                                                 "number, its state, agency and deadline were read out")
    unknown = {"kind": "status_lookup", "detail": {"by": "code", "code": "1022-261120-0099", "found": False}}
    assert story.describe(unknown, site, "vi") == "Khách nhập số phiếu 1022-261120-0099: không có phiếu này"
