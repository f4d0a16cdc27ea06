"""The status of a request by phone, without a PBX: the digits a caller keys, what is said for
which case, the choices (confirmation, unknown number, after the status), and the lookups in the
database seeded through the db functions (a forward with a deadline, an answer, its approval)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from agencies.forwarding import AssignmentState, ticket_status
from config import DEMO_SITE, ConfigError, load_site
from db import store
from db.clock import utcnow
from db.models import Call, Ticket
from db.queries import agencies as stored_agencies
from db.queries import agency_work, caller_status, web_reports
from db.queries import assignments as stored
from db.queries.caller_status import CaseStatus
from ivr import prompts, status_line
from ivr.menu import STATUS_PROMPTS, load_menu
from ivr.status_line import StatusLine, code_from_digits, number_forms, status_message
from tests.harness.site import make_site

SITE = load_site(DEMO_SITE)
TZ = "Asia/Ho_Chi_Minh"
DEMO_MENU = DEMO_SITE.with_name("demo-ivr.toml").read_text()


# ---- seeding, with the db functions (also used by tests/test_status_calls.py) ----

def _status_of(pairs):
    return ticket_status([AssignmentState(p, r) for p, r in pairs])


def seed_case(db, site, code: str, number: str, agency: str | None = "so_xay_dung",
              deadline: datetime | None = None, field: str = "lighting", answered: bool = False) -> None:
    """A report from `number`, forwarded to `agency` with `deadline` (naive UTC); with `answered`,
    the agency's answer approved (the case is then resolved)."""
    store.migrate(db)
    stored_agencies.sync(db, site.agencies)
    now = utcnow()
    with Session(db) as s, s.begin():
        call = Call(uniqueid=f"seed-{code}", caller_number=number, started_at=now, language="vi")
        s.add(call)
        s.flush()
        s.add(Ticket(code=code, call_id=call.id, kind="report", field=field, status="open", created_at=now))
    if agency is None:
        return
    target = stored.Target(agency, deadline or now + timedelta(days=5), "s", "e", "m", ())
    [aid] = stored.forward(db, stored.Forward(code, "hoa", "", now, (target,), "http://x/a/", 72), _status_of)
    if answered:
        agency_work.answer(db, agency, aid, "canbo", "Đã thay bóng đèn.", (), now, _status_of)
        stored.review(db, aid, "approve", "", "hoa", now, _status_of, lambda text: text)


# ---- pure decisions ----

@pytest.mark.parametrize("digits, code", [
    ("2612030042", "1022-261203-0042"),
    ("2612030042#", "1022-261203-0042"),
    ("10222612030042", "1022-261203-0042"),  # with the hotline's digits in front
    ("261203123456789", "1022-261203-123456789"),  # a number from the clock
    ("12345", None), ("", None), ("2613450042", None),  # too short, nothing, not a date
    ("26120300421234567", None), ("26120*0042", None),
])
def test_keyed_digits_make_a_code(digits, code):
    assert code_from_digits("1022", digits) == code


@pytest.mark.parametrize("numbers, national", [
    (("+84905123456",), ("0905123456",)), (("84905123456",), ("0905123456",)), (("0905123456",), ("0905123456",)),
    (("+842363822222",), ("02363822222",)),  # a fixed line with its area code
    (("anonymous",), ()), (("113",), ()), (("+14155550100",), ()), (("00905123456",), ()), (("",), ()),
])
def test_a_web_reports_contact_is_matched_in_its_national_digits(numbers, national):
    assert caller_status.national_forms(numbers) == national


def test_a_callers_number_in_every_stored_form():
    assert set(number_forms("0905123456")) == {"0905123456", "+84905123456", "84905123456"}
    assert "0905123456" in number_forms("+84905123456")
    assert number_forms("") == () and number_forms("anonymous") == ("anonymous",)


def case(**changes) -> CaseStatus:
    values = dict(code="1022-261120-0042", status="forwarded", field="lighting", agency="so_xay_dung",
                  agency_name="Sở Xây dựng", deadline_at=datetime(2026, 12, 14, 20, 0), overdue=False,
                  answered=False, own=True)
    return CaseStatus(**{**values, **changes})


def everything(name: str) -> bool:
    return True


DIGITS = [f"digits/{d}" for d in "2611200042"]


def test_the_owner_hears_state_agency_and_deadline_in_the_sites_time():
    # 20:00 UTC on 14/12 is the 15th in Vietnam
    assert status_message(case(), TZ, everything) == [
        "status-case", *DIGITS, "status-state", "status-forwarded", "status-agency", "agency/so_xay_dung",
        "status-deadline", "date/day-15", "date/month-12", "date/year-2026"]


def test_someone_else_hears_state_and_deadline_only():
    said = status_message(case(own=False, overdue=True, answered=True), TZ, everything)
    assert "status-agency" not in said and "status-answer-ready" not in said
    assert said[-5:] == ["status-deadline", "date/day-15", "date/month-12", "date/year-2026", "status-overdue"]


def test_a_resolved_case_has_no_deadline_and_tells_the_owner_an_answer_is_ready():
    said = status_message(case(status="resolved", deadline_at=None, answered=True), TZ, everything)
    assert said[-4:] == ["status-resolved", "status-agency", "agency/so_xay_dung", "status-answer-ready"]
    assert status_message(case(status="open", agency=None, deadline_at=None), TZ, lambda n: False)[-1] == "status-open"


def test_missing_prompts_fall_back_to_the_field_and_the_years_digits():
    said = status_message(case(), TZ, lambda name: not name.startswith(("agency/", "date/year")))
    assert said[said.index("status-agency") + 1] == "field/lighting"
    assert said[-4:] == [f"digits/{d}" for d in "2026"]


def test_every_state_and_phrase_has_its_prompt_and_the_demo_declares_them():
    tree = load_menu(SITE)
    assert tree.offers_status() and set(STATUS_PROMPTS) <= set(tree.prompts)
    for status in ("open", "forwarded", "answered", "resolved", "closed", "callback_pending", "in_call", "unreachable"):
        assert status_line.state_prompt(status) in STATUS_PROMPTS
    made = {p.name for p in prompts.all_prompts(tree, SITE)}
    said = status_message(case(answered=True, overdue=True), TZ, everything)
    assert set(said) - set(STATUS_PROMPTS) <= made  # digits, the date, the agency: all generated
    assert {f"agency/{a.key}" for a in SITE.agencies.agencies} <= made
    assert {f"field/{f.key}" for f in SITE.fields} <= made


def test_a_menu_offering_status_needs_its_prompts(tmp_path):
    path = tmp_path / "menu.toml"
    path.write_text(DEMO_MENU.replace("[prompts.status-not-found]", "[prompts.unused-not-found]"))
    with pytest.raises(ConfigError) as e:
        load_menu(SITE, path)
    assert "prompts.status-not-found" in str(e.value)
    options = "[menus.fallback.options]\n"
    path.write_text(DEMO_MENU.replace(options, options + '"4" = { action = "status" }\n'))
    with pytest.raises(ConfigError) as e:  # the dialplan fallback has no database to ask
        load_menu(SITE, path)
    assert "menus.fallback.options.4" in str(e.value)


# ---- the choices, over a scripted call ----

class FakeCall:
    def __init__(self, script: list[str], caller: str = "0905123456"):
        self.script, self.caller_number, self.language = list(script), caller, "vi"
        self.heard: list[str] = []
        self.interrupt: dict[str, str] = {}  # a file -> the key pressed while it plays (once)

    def prompt(self, name: str, language: str | None = None) -> str:
        return f"{language or self.language}/{name}"

    async def play(self, file: str, escape: str = "") -> str:
        self.heard.append(file)
        return self.interrupt.pop(file, "") if escape else ""

    async def menu_key(self, file: str, timeout_ms: int) -> str:
        self.heard.append(file)
        return self.script.pop(0) if self.script else ""

    async def ask(self, file: str, timeout_ms: int = 5000, max_digits: int = 1) -> str:
        self.heard.append(file)
        return self.script.pop(0) if self.script else ""


class FakeTicket:
    code = "1022-261203-0001"

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def event(self, kind: str, **detail) -> None:
        self.events.append((kind, detail))


def line(cases: dict[str, CaseStatus], own: CaseStatus | None = None) -> StatusLine:
    async def latest_open(numbers):
        return own

    async def by_code(code, numbers):
        return cases.get(code)

    return StatusLine("1022", TZ, 5000, 3, "3", latest_open, by_code, lambda name, lang: True)


def run(script, cases=None, own=None, caller="0905123456", interrupt=None):
    call, ticket = FakeCall(script, caller), FakeTicket()
    call.interrupt = dict(interrupt or {})
    end = asyncio.run(status_line.status_line(call, ticket, line(cases or {}, own)))
    return end, call.heard, ticket.events


def test_the_owner_hears_the_open_case_at_once_then_goodbye():
    end, heard, events = run([""], own=case())
    assert end == "goodbye" and heard[0] == "vi/status-case" and heard[-1] == "vi/status-after"
    assert "vi/status-enter-code" not in heard
    assert events == [("status_lookup", {"by": "caller_number", "found": True, "code": "1022-261120-0042"})]


def test_a_keyed_number_is_read_back_and_entered_again_on_2():
    end, heard, events = run(["2611200041", "2", "2611200042", "1", "0"], {"1022-261120-0042": case(own=False)})
    assert end == "operator"
    first = heard.index("vi/status-enter-code")
    assert heard[first + 1:first + 12] == [f"vi/digits/{d}" for d in "2611200041"] + ["vi/confirm-number"]
    assert heard[first + 12] == "vi/status-enter-code"  # 2: again
    assert [e for e in events if e[0] == "status_lookup"] == [
        ("status_lookup", {"by": "caller_number", "found": False}),
        ("status_lookup", {"by": "code", "code": "1022-261120-0042", "found": True, "own": False})]


def test_a_key_during_the_read_back_answers_the_confirmation():
    end, heard, _ = run(["2611200042", "0"], {"1022-261120-0042": case()}, interrupt={"vi/digits/1": "1"})
    assert end == "operator"
    assert heard[:5] == ["vi/status-enter-code", "vi/digits/2", "vi/digits/6", "vi/digits/1", "vi/status-case"]
    assert "vi/confirm-number" not in heard


def test_an_unknown_number_offers_the_operator_or_entering_it_again():
    end, heard, events = run(["2611200999", "1", "1", "2611200999", "1", "0"])
    assert end == "operator" and heard.count("vi/status-not-found") == 2
    assert [d["found"] for k, d in events if k == "status_lookup" and d["by"] == "code"] == [False, False]


def test_invalid_keys_are_said_so_and_asked_again():
    end, heard, events = run(["12", "2611200999", "7", "1", "5", "0"])
    assert end == "operator"
    assert heard.count("vi/invalid") == 3  # a short number, 7 to confirm, 5 after not found
    assert [k for k, _ in events].count("invalid") == 3


def test_silence_on_the_number_ends_with_the_operator_and_the_emergency_key_leaves():
    assert run(["", "", ""])[0] == "operator"
    assert run(["2611200042", "3"])[0] == "emergency"


def test_lookups_per_call_are_limited():
    cases = {"1022-261120-0042": case(own=False)}
    end, _, events = run(["2611200042", "1", "1"] * 6, cases)
    assert end == "goodbye"
    assert len([e for e in events if e[1].get("by") == "code"]) == status_line.MAX_LOOKUPS


# ---- the lookups in the database ----

def test_lookups_by_number_and_by_code(tmp_path):
    site = make_site(tmp_path)
    db = store.connect(site.paths.database_url)
    try:
        deadline = utcnow() + timedelta(days=3)
        seed_case(db, site, "1022-261120-0001", "0905123456", answered=True)
        seed_case(db, site, "1022-261120-0002", "0905123456", deadline=deadline)
        seed_case(db, site, "1022-261120-0003", "0905999888", agency=None)
        seed_case(db, site, "1022-261120-0004", "0905999888", deadline=utcnow() - timedelta(hours=1))
        now, mine = utcnow(), number_forms("+84905123456")
        latest = caller_status.latest_open(db, mine, None, now)
        assert latest == CaseStatus("1022-261120-0002", "forwarded", "lighting", "so_xay_dung",
                                    "Sở Xây dựng thành phố Đà Nẵng", deadline, False, False, True)
        assert caller_status.latest_open(db, mine, "1022-261120-0002", now) is None  # the resolved one is not open
        done = caller_status.by_code(db, "1022-261120-0001", mine, now)
        assert (done.status, done.answered, done.deadline_at, done.agency, done.own) == (
            "resolved", True, None, "so_xay_dung", True)
        other = caller_status.by_code(db, "1022-261120-0004", mine, now)
        assert (other.own, other.overdue) == (False, True)
        assert caller_status.by_code(db, "1022-261120-0009", mine, now) is None
        assert caller_status.latest_open(db, (), None, now) is None
    finally:
        db.dispose()


def test_a_web_report_is_found_by_the_contact_number_it_was_reported_with(tmp_path):
    site = make_site(tmp_path)
    db = store.connect(site.paths.database_url)
    try:
        store.migrate(db)
        seed_case(db, site, "1022-261120-0001", "0905123456", agency=None)  # an older call from the same number
        report = web_reports.NewReport(field="lighting", area=None, address=None, description="Đèn đường hỏng",
                                       contact_phone="0905123456", contact_email=None, consent=True)
        code = web_reports.submit(db, report, "1022-261121-", utcnow() + timedelta(minutes=1))
        email_only = web_reports.NewReport(field="lighting", area=None, address=None, description="Ổ gà",
                                           contact_phone=None, contact_email="dan@example.vn", consent=True)
        other = web_reports.submit(db, email_only, "1022-261121-", utcnow() + timedelta(minutes=2))
        now = utcnow()
        for form in ("+84905123456", "84905123456", "0905123456"):  # however the trunk sends the number
            latest = caller_status.latest_open(db, number_forms(form), None, now)
            assert (latest.code, latest.status, latest.own) == (code, "new", True), form
        assert caller_status.by_code(db, code, number_forms("+84905123456"), now).own is True
        assert caller_status.by_code(db, code, number_forms("0905999888"), now).own is False
        assert caller_status.by_code(db, other, number_forms("0905123456"), now).own is False
        assert caller_status.latest_open(db, number_forms("0905999888"), None, now) is None
        assert caller_status.latest_open(db, number_forms("anonymous"), None, now) is None
    finally:
        db.dispose()
