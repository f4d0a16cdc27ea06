"""The status of a request by phone, on the real Asterisk: SIPp citizens press 4 in the main menu.
The cases are seeded with the db functions (a report forwarded to an agency with a deadline);
what the caller heard is read from the engine's log of the prompts it played, in order."""
from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from db import store
from db.clock import utcnow
from tests.harness.tickets import kinds
from tests.test_ivr_calls import dial, no_errors, played
from tests.test_status_line import seed_case

CASE = "1022-261120-0042"  # a day no call of the test session is numbered on


def test_the_caller_who_reported_hears_the_state_of_their_case_at_once(real_pbx, engine, workdir):
    site = real_pbx.site
    deadline = utcnow() + timedelta(days=4)
    db = store.connect(site.paths.database_url)
    try:
        seed_case(db, site, CASE, "0905123456", agency="so_xay_dung", deadline=deadline)
    finally:
        db.dispose()
    # 4 during the welcome; then silence after the status: goodbye, and the hotline hangs up
    t = dial(real_pbx, workdir, "0905123456", [("pause", 1500), ("dtmf", "4")], end="wait_bye",
             bye_timeout=90000, until=lambda t: "status_lookup" in kinds(t))
    assert (t["kind"], t["status"]) == ("info", "closed")
    assert kinds(t) == ["answer", "menu", "status_lookup", "hangup"]
    assert t["events"][1]["detail"] == {"menu": "main", "digit": "4", "choice": "status"}
    assert t["events"][2]["detail"] == {"by": "caller_number", "found": True, "code": CASE}
    due = deadline.replace(tzinfo=UTC).astimezone(ZoneInfo(site.timezone))
    assert played(engine, t["uniqueid"]) == [
        "vi/welcome", "vi/status-case", *(f"vi/digits/{d}" for d in "2611200042"),
        "vi/status-state", "vi/status-forwarded", "vi/status-agency", "vi/agency/so_xay_dung",
        "vi/status-deadline", f"vi/date/day-{due.day}", f"vi/date/month-{due.month}", f"vi/date/year-{due.year}",
        "vi/status-after", "vi/goodbye"]
    no_errors(engine)


def test_a_caller_who_keys_an_unknown_number_is_offered_the_operator(real_pbx, engine, workdir):
    # 4; the number and #; 1 (yes, during the read-back or after it); 0 (the operator) when told it is unknown
    t = dial(real_pbx, workdir, "0911000171",
             [("pause", 1500), ("dtmf", "4"), ("pause", 2500), ("dtmf", "2611200999#"), ("pause", 8000),
              ("dtmf", "1"), ("pause", 3000), ("dtmf", "0"), ("pause", 6000)],
             until=lambda t: "queue" in kinds(t))
    lookups = [e["detail"] for e in t["events"] if e["kind"] == "status_lookup"]
    assert lookups == [{"by": "caller_number", "found": False},
                       {"by": "code", "code": "1022-261120-0999", "found": False}]
    assert (t["kind"], t["queue"]) == ("operator", "operator")
    assert next(e for e in t["events"] if e["kind"] == "queue")["detail"] == {"queue": "operator", "step": "join"}
    heard = played(engine, t["uniqueid"])
    assert heard[:2] == ["vi/welcome", "vi/digits/2"]  # the number read back
    told = heard.index("vi/status-not-found")
    assert heard[told + 1] == "vi/ticket-number"  # the operator's queue: this call's number first
    no_errors(engine)
