"""The console page walk's data and rules (tests/test_web_i18n.py): a served console seeded so every
page of every role has something to show, and what counts as a code, a catalog key or the other
language left on a page."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.orm import Session

from acd.agents import STATES
from acd.callbacks import OUTCOMES
from db.clock import utcnow
from config.agency_settings import AgencyData, Contact
from db.agency_models import Assignment
from db.models import CASE_STATUSES, TICKET_KINDS, TICKET_STATUSES, Callback, Ticket, TicketEvent
from db.queries import agents as stored_agents
from db.queries import agencies, pause_reasons
from tests.harness.console import PASSWORD, ServedConsole, add_ticket
from tests.harness.tickets import seed_callback
from tests.test_story import EVERY_KIND
from web import accounts
from web.accounts import ROLES
from web.language import CATALOGS, LANGUAGES, catalog


MAIN = "1022-261203-0101"  # answered by Lan, every kind of event, a callback: every ticket role sees it
BROWSER_ZONE = "America/New_York"
PEOPLE_TYPED = [e["detail"]["text"] for e in EVERY_KIND if e["kind"] == "note"]
SIZES = ((1366, 900), (390, 844))
USERS = {  # role -> username (the harness's accounts, renamed by the admin; and the admin)
    "agent": "lan", "supervisor": "hoa", "callback": "mai", "leader": "tuan", "admin": "quantri", "agency": "cayxanh"}
NAMES = {"lan": "Nguyễn Thị Lan", "minh": "Trần Văn Minh", "hoa": "Lê Thị Hoa", "tuan": "Phạm Minh Tuấn",
         "mai": "Võ Thị Mai", "cayxanh": "Đặng Văn Xanh"}
FORBIDDEN = {"agent": "/reports", "supervisor": "/admin", "callback": "/wallboard", "leader": "/agent",
             "agency": "/tickets"}
# what shows that a page's scripts have filled it (attached: some sit in a hidden tab)
READY = {"/agent": "#my-tickets tbody tr", "/wallboard": "#agents tbody tr", "/wallboard/tv": "#tv-agents .tv-group",
         "/callbacks": "#callbacks tbody tr", "/tickets": "#results tbody tr", f"/tickets/{MAIN}": "#timeline tbody tr",
         "/reports": "body[data-report-shown]", "/admin": "#reasons tbody tr", "error": "#error-page",
         "/login": "#login-form", "/agency": "#assignments tbody tr"}
# tabs to open after the page is ready: (button, what shows it is filled)
TABS = {"/callbacks": [("#tab-history", "#callbacks-done tbody tr")],
        "/admin": [('[data-tab="agents"]', "#agents tbody tr"), ('[data-tab="reasons"]', "#reasons tbody tr"),
                   ('[data-tab="audit"]', "#audit tbody tr")]}
# ---- the served console, seeded so that every page has content ----


def seed_tickets(s: ServedConsole) -> None:
    db, recordings = s.db, s.site.paths.recordings
    add_ticket(db, recordings, MAIN, "101", with_callback=True)
    variety = [  # code, agent, field, kind, status, area, outcome
        ("1022-261203-0102", "101", "lighting", "report", "open", "son_tra", "report_taken"),
        ("1022-261203-0103", "101", "environment", "info", "resolved", "thanh_khe", None),
        ("1022-261203-0104", "102", "trees", "emergency", "forwarded", "hai_chau", None),
        ("1022-261203-0105", None, "trees", "after_hours", "after_hours", None, None),
        ("1022-261203-0106", None, "environment", "report", "unreachable", "cam_le", None),
        ("1022-261203-0107", "102", None, "operator", "in_call", None, None)]
    for code, agent, field, *_rest in variety:
        add_ticket(db, recordings, code, agent, field=field or "trees")
    with Session(db) as session, session.begin():
        for code, _agent, field, kind, status, area, outcome in variety:
            t = session.scalar(select(Ticket).where(Ticket.code == code))
            t.field, t.kind, t.status, t.area, t.outcome = field, kind, status, area, outcome
            t.summary = "Cây đổ chắn ngang đường, cần dọn gấp" if field == "trees" else None
        t = session.scalar(select(Ticket).where(Ticket.code == MAIN))
        t.status, t.area, t.outcome, t.caller_name, t.address = "forwarded", "hai_chau", "report_taken", \
            "Nguyễn Văn Bình", "12 Lê Duẩn"
        t.summary, t.queue = "Cây đổ chắn đường Lê Duẩn", "incidents"
        for i, event in enumerate(EVERY_KIND):
            session.add(TicketEvent(ticket_id=t.id, at=t.created_at + timedelta(seconds=i), kind=event["kind"],
                                    detail=json.dumps(event["detail"], ensure_ascii=False)))
        now = utcnow()
        done = [("reached", "done", "106"), ("no_answer", "unreachable", "106")]
        for code, (outcome, state, by) in zip(("1022-261203-0102", "1022-261203-0106"), done, strict=True):
            ticket = session.scalar(select(Ticket).where(Ticket.code == code))
            session.add(Callback(ticket_id=ticket.id, number="0905333444", language="vi", queue="incidents",
                                 queued_at=now, due_at=now, attempts=3, state=state, claimed_by=by, outcome=outcome,
                                 updated_at=now))
        claimed = session.scalar(select(Ticket).where(Ticket.code == "1022-261203-0104"))
        session.add(Callback(ticket_id=claimed.id, number="0905666777", language="vi", queue="operator",
                             queued_at=now, due_at=now, attempts=1, state="claimed", claimed_by="106",
                             outcome="busy", updated_at=now))
    seed_callback(s.site, "0912345678")
    with Session(db) as session, session.begin():  # the agency's case: fallen trees, overdue
        tid = session.scalar(select(Ticket.id).where(Ticket.code == "1022-261203-0104"))
        session.add(Assignment(ticket_id=tid, agency="cay_xanh", created_at=utcnow() - timedelta(days=2),
                               created_by="hoa", delivery="sent", deadline_at=utcnow() - timedelta(hours=3)))


def seed_agency(s: ServedConsole) -> None:
    """The trees agency and its contact's account (role agency)."""
    agencies.add(s.db, AgencyData("cay_xanh", "Công ty Công viên Đà Nẵng", "utility", ("trees",), (),
                                  (Contact("Đặng Văn Xanh", "cayxanh@example.vn", "0905000222", "cayxanh", True),)),
                 "test")
    accounts.add_user(s.db, "cayxanh", "agency", PASSWORD, agency="cay_xanh")


async def seed_by_admin(s: ServedConsole) -> None:
    """Names, agents and a pause reason changed through the admin API, so the audit has rows."""
    seed_agency(s)
    admin = await s.logged_in("quantri")

    async def call(method: str, path: str, data: dict) -> None:
        async with admin.request(method, path, json=data) as r:
            assert r.status in (200, 201), (path, await r.text())

    for username, name in NAMES.items():
        await call("PATCH", f"/api/admin/users/{username}", {"name": name})
    for ext, username, pin in (("101", "lan", "4821"), ("102", "minh", "5932"), ("106", "mai", "6043")):
        await call("POST", "/api/admin/agents", {"extension": ext, "name": NAMES[username], "pin": pin,
                                                 "skills": {"incidents": 0, "operator": 1}})
    await call("PATCH", "/api/admin/agents/102", {"skills": {"incidents": 2, "admin": 0}})
    await call("PATCH", "/api/admin/pause-reasons/2", {"vi": "Nghỉ ăn trưa"})
    await call("PATCH", "/api/admin/users/minh", {"role": "supervisor", "extension": "202"})
    await call("PATCH", "/api/admin/users/minh", {"role": "agent", "extension": "102"})


def seed_seats(s: ServedConsole) -> None:
    """The wallboard's picture: one agent ready, one at lunch, one talking on the main ticket."""
    import time
    board, now = s.console.acd.board, time.time()
    for ext, state, reason in (("101", "talking", None), ("102", "paused", "lunch"), ("106", "ready", None)):
        seat = board.seat(ext)
        seat.state, seat.reason, seat.since, seat.queues = state, reason, now - 75, {"incidents", "operator"}
        stored_agents.update(s.db, ext, seat=f"PJSIP/agent{ext}", logged_in_at=utcnow() - timedelta(hours=1))
    with Session(s.db) as session, session.begin():  # Lan's last call still needs its outcome: the pop shows
        t = session.scalar(select(Ticket).where(Ticket.code == "1022-261203-0103"))
        t.agent_answered_at = t.created_at


def catalog_keys(served: ServedConsole) -> tuple[set[str], re.Pattern]:
    """Every key of the pages' catalogs (static and the site's codes), and a pattern of anything that
    looks like one (a known prefix, a dot, a code): a key the catalog lacks shows like that too."""
    keys: set[str] = set()
    for lang in LANGUAGES:
        for part in (CATALOGS / lang).glob("*.json"):
            keys |= set(json.loads(part.read_text(encoding="utf-8")))
        keys |= set(catalog(lang, served.site))
    prefixes = {k.split(".")[0] for k in keys} | {"field", "queue", "area", "outcome", "reason"}
    looks = re.compile(r"(?<![\w./@-])(?:" + "|".join(sorted(prefixes)) + r")\.[a-z_][a-z0-9_.]*[a-z0-9_]")
    return keys, looks


def phrases(served: ServedConsole) -> dict[str, set[str]]:
    """Per language, the words of its messages that the other language never shows: fragments of two
    words or more between placeholders, of every message translated differently (the pause reasons'
    names are left out: the admin page shows both on purpose)."""
    pairs: list[tuple[str, str]] = []
    vi, en = catalog("vi", served.site), catalog("en", served.site)
    pairs += [(vi[k], en[k]) for k in vi if k in en and not k.startswith("reason.")]
    for po in (CATALOGS / "vi").glob("*.po"):
        with po.open("rb") as f:
            pairs += [(m.string, m.id) for m in read_po(f) if m.id and m.string and isinstance(m.id, str)]
    out: dict[str, set[str]] = {"vi": set(), "en": set()}
    for vi_text, en_text in pairs:
        if vi_text == en_text:
            continue
        for lang, text in (("vi", vi_text), ("en", en_text)):
            for part in re.split(r"\{\w+\}|%\(\w+\)s|[:;()\n]", text):
                if len(part.split()) >= 2 and len(part.strip()) >= 8:
                    out[lang].add(part.strip(" .,·…?!"))
    out["vi"] -= out["en"]
    out["en"] -= out["vi"]
    for reason in pause_reasons.reasons(served.db, False):
        out["vi"].discard(reason.vi)
        out["en"].discard(reason.en)
    return out


def raw_codes(served: ServedConsole) -> set[str]:
    site = served.site
    codes = set(TICKET_STATUSES) | set(CASE_STATUSES) | set(TICKET_KINDS) | set(STATES) | set(ROLES)
    codes |= {"listen", "whisper", "barge"} | set(OUTCOMES) | {"pending", "claimed", "done", "unreachable"}
    codes |= {f.key for f in site.fields} | {q.name for q in site.queues} | {a.key for a in site.areas}
    codes |= {o.key for o in site.desk.outcomes}
    codes |= {r.key for r in pause_reasons.reasons(served.db, False)}
    return codes


def english_suspects(served: ServedConsole, codes: set[str]) -> set[str]:
    """The codes that are never English display text: with an underscore, an area (Vietnamese place
    names without their marks), or a word English spells otherwise."""
    return {c for c in codes if "_" in c} | {a.key for a in served.site.areas} | {"wrapup"}
