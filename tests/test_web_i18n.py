"""The whole console in the reader's language (issue 15): with a browser set to en-US (and to New
York's time zone), every page of every role shows Vietnamese by default and English after the
header's switch. A walk over every page fails on a catalog key, an internal code or a message of
the other language left visible (text, option, tooltip, placeholder, or the phone layout's cell
labels), a script error or a missing message, a document not in the language chosen, or anything
wider than the window at 1366×900 and 390×844; it takes a full-page screenshot of each. Times are
the site's, not the browser's. The choice stays with the user."""
from __future__ import annotations

import asyncio
import json
import re
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.orm import Session

from acd.agents import STATES
from acd.callbacks import OUTCOMES
from db.clock import utcnow
from db.models import CASE_STATUSES, TICKET_KINDS, TICKET_STATUSES, Callback, Ticket, TicketEvent
from db.queries import agents as stored_agents
from db.queries import pause_reasons
from tests.harness.browser import browser, login, page, page_texts, settle, shot, too_wide
from tests.harness.console import PASSWORD, ServedConsole, add_ticket
from tests.harness.tickets import seed_callback
from tests.test_story import EVERY_KIND
from web import accounts
from web.accounts import ROLES
from web.language import CATALOGS, LANGUAGES, catalog, load_reasons
from web.pages import PAGES, TICKET_ROLES

MAIN = "1022-261203-0101"  # answered by Lan, every kind of event, a callback: every ticket role sees it
BROWSER_ZONE = "America/New_York"
PEOPLE_TYPED = [e["detail"]["text"] for e in EVERY_KIND if e["kind"] == "note"]
SIZES = ((1366, 900), (390, 844))
USERS = {  # role -> username (the harness's accounts, renamed by the admin; and the admin)
    "agent": "lan", "supervisor": "hoa", "callback": "mai", "leader": "tuan", "admin": "quantri"}
NAMES = {"lan": "Nguyễn Thị Lan", "minh": "Trần Văn Minh", "hoa": "Lê Thị Hoa", "tuan": "Phạm Minh Tuấn",
         "mai": "Võ Thị Mai"}
FORBIDDEN = {"agent": "/reports", "supervisor": "/admin", "callback": "/wallboard", "leader": "/agent"}
# what shows that a page's scripts have filled it (attached: some sit in a hidden tab)
READY = {"/agent": "#my-tickets tbody tr", "/wallboard": "#agents tbody tr", "/wallboard/tv": "#tv-agents .tv-group",
         "/callbacks": "#callbacks tbody tr", "/tickets": "#results tbody tr", f"/tickets/{MAIN}": "#timeline tbody tr",
         "/reports": "body[data-report-shown]", "/admin": "#reasons tbody tr", "error": "#error-page",
         "/login": "#login-form"}
# tabs to open after the page is ready: (button, what shows it is filled)
TABS = {"/callbacks": [("#tab-history", "#callbacks-done tbody tr")],
        "/admin": [('[data-tab="agents"]', "#agents tbody tr"), ('[data-tab="reasons"]', "#reasons tbody tr"),
                   ('[data-tab="audit"]', "#audit tbody tr")]}
# ---- the served console, seeded so that every page has content ----

def _seed_tickets(s: ServedConsole) -> None:
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


async def _seed_by_admin(s: ServedConsole) -> None:
    """Names, agents and a pause reason changed through the admin API, so the audit has rows."""
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


def _seed_seats(s: ServedConsole) -> None:
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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The console app on its own event loop in a thread (Playwright's sync API wants this thread's)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def up() -> ServedConsole:
        s = await ServedConsole(tmp_path_factory.mktemp("i18n")).__aenter__()
        accounts.add_user(s.db, "quantri", "admin", PASSWORD, name="Quản Trị Viên")
        await _seed_by_admin(s)
        await load_reasons(s.db)  # as the engine's console does at start
        return s

    s = asyncio.run_coroutine_threadsafe(up(), loop).result(60)
    _seed_tickets(s)
    _seed_seats(s)
    try:
        yield s
    finally:
        asyncio.run_coroutine_threadsafe(s.__aexit__(None, None, None), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


# ---- what must never show ----

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


class Walk:
    """Visits pages as one person and checks each in both window sizes."""

    def __init__(self, served: ServedConsole, p, role: str, lang: str):
        self.served, self.p, self.role, self.lang = served, p, role, lang
        self.keys, self.looks = catalog_keys(served)
        codes = raw_codes(served)
        self.codes = codes if lang == "vi" else english_suspects(served, codes)
        self.foreign = phrases(served)["en" if lang == "vi" else "vi"]
        self.pattern = re.compile(r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, self.codes))) + r")(?![\w-])")

    def check_text(self, where: str) -> str:
        text = page_texts(self.p)
        found_keys = sorted({k for k in self.looks.findall(text)} | {k for k in self.keys if k in text})
        assert not found_keys, f"{where}: catalog keys shown as text: {found_keys}"
        raw = sorted(set(self.pattern.findall(text)))
        lines = [line for line in text.splitlines() if self.pattern.search(line)][:8]
        assert not raw, f"{where}: internal codes shown: {raw} in {lines}"
        people = text
        for typed in PEOPLE_TYPED:  # what people typed is in their language, whatever the reader's
            people = people.replace(typed, "")
        other = sorted(x for x in self.foreign if x in people)
        assert not other, f"{where}: words of the other language: {other}"
        return text

    def visit(self, path: str, ready: str, tabs: list[tuple[str, str]] = (), error: bool = False,
              name: str = "") -> str:
        p, name = self.p, name or path.strip("/").replace("/", "-").replace(MAIN, "code")
        where = f"{self.role} {self.lang} {path}"
        p.errors.clear()
        p.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
        p.goto(self.served.base + path)
        p.wait_for_selector(ready, state="attached")
        p.wait_for_load_state("networkidle")
        assert p.evaluate("document.documentElement.lang") == self.lang, where
        text = self.check_text(where)
        for button, filled in tabs:
            p.click(button)
            p.wait_for_selector(filled, state="attached")
            p.wait_for_load_state("networkidle")
            text += "\n" + self.check_text(f"{where} {button}")
        for width, height in SIZES:
            p.set_viewport_size({"width": width, "height": height})
            p.wait_for_function("(w) => window.innerWidth === w", arg=width)
            settle(p)  # what redraws on resize (charts) has redrawn
            wide = p.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert wide[0] <= wide[1], f"{where} at {width}px: the page is {wide[0]}px wide: {too_wide(p)}"
            self.check_text(f"{where} at {width}px")
            shot(p, f"i18n-{self.lang}-{width}-{self.role}-{name}")
        errors = [e for e in p.errors if not (error and "Failed to load resource" in e)]
        assert errors == [], f"{where}: {errors}"
        return text


def pages_of(role: str) -> list[str]:
    paths = [path for path, _n, _t, roles, _l in PAGES if role == "admin" or role in roles]
    if role in TICKET_ROLES or role == "admin":
        paths.insert(paths.index("/tickets") + 1, f"/tickets/{MAIN}")
    return paths


def walk_all(served: ServedConsole, p, role: str, lang: str) -> dict[str, str]:
    w = Walk(served, p, role, lang)
    shown = {path: w.visit(path, READY[path], TABS.get(path, [])) for path in pages_of(role)}
    if role == "agent":  # the desk with the pop of the last call, which still needs its outcome
        shown["/agent"] = w.visit("/agent", "#pop:not([hidden]) #t-outcome option:nth-child(2)")
    shown["404"] = w.visit("/tickets/NO-SUCH", READY["error"], error=True)
    if role in FORBIDDEN:
        shown["403"] = w.visit(FORBIDDEN[role], READY["error"], error=True, name="forbidden")
    return shown


def in_site_zone(served: ServedConsole, fmt: str = "%d/%m/%Y %H:%M") -> tuple[str, str]:
    """The main ticket's creation time as the site reads it, and as the browser's zone would."""
    with Session(served.db) as s:
        at = s.scalar(select(Ticket.created_at).where(Ticket.code == MAIN)).replace(tzinfo=ZoneInfo("UTC"))
    return (at.astimezone(ZoneInfo(served.site.timezone)).strftime(fmt),
            at.astimezone(ZoneInfo(BROWSER_ZONE)).strftime(fmt))


# ---- the tests ----

@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_vietnamese_then_english_for(role, served, chromium):
    username = USERS[role]
    p = page(chromium, locale="en-US", timezone=BROWSER_ZONE, width=SIZES[0][0], height=SIZES[0][1])
    login(p, served.base, username, PASSWORD)
    assert p.evaluate("navigator.language") == "en-US"
    shown = walk_all(served, p, role, "vi")
    name = NAMES.get(username, "Quản Trị Viên")
    assert name in shown[pages_of(role)[0]]
    if f"/tickets/{MAIN}" in shown:  # times in the site's zone, not the browser's
        site_time, browser_time = in_site_zone(served)
        assert site_time in shown[f"/tickets/{MAIN}"] and browser_time not in shown[f"/tickets/{MAIN}"]
        assert "Cây đổ chắn đường Lê Duẩn" in shown[f"/tickets/{MAIN}"]

    p.goto(served.base + pages_of(role)[0])
    p.click("#lang-switch")
    p.wait_for_function("document.documentElement.lang === 'en'")
    shown = walk_all(served, p, role, "en")
    assert "English" not in p.inner_text("#lang-switch")

    p.click("header .who button")  # log out and in again: still English
    p.wait_for_url(lambda url: "/login" in url)
    login(p, served.base, username, PASSWORD)
    assert p.evaluate("document.documentElement.lang") == "en"
    p.context.close()

    fresh = page(chromium, locale="en-US", timezone=BROWSER_ZONE)  # another browser: the choice is the user's
    login(fresh, served.base, username, PASSWORD)
    assert fresh.evaluate("document.documentElement.lang") == "en"
    fresh.context.close()


def test_the_login_page_is_vietnamese_first_and_others_are_unaffected(served, chromium):
    p = page(chromium, locale="en-US", timezone=BROWSER_ZONE)
    w = Walk(served, p, "nobody", "vi")
    assert "Đăng nhập" in w.visit("/login", READY["/login"])
    login(p, served.base, "minh", PASSWORD)  # an agent who never chose: Vietnamese, whoever switched before
    assert p.evaluate("document.documentElement.lang") == "vi"
    p.context.close()

    p = page(chromium, locale="en-US", timezone=BROWSER_ZONE)
    p.goto(served.base + "/login")
    p.click("#lang-switch")
    p.wait_for_function("document.documentElement.lang === 'en'")
    assert "Log in" in Walk(served, p, "nobody", "en").visit("/login", READY["/login"])
    p.context.close()


def test_the_walk_sees_codes_and_keys_left_in_a_page(served, chromium):
    """The checks bite: a raw code in a cell, a key in a tooltip or a card label, a code in English,
    a message of the other language; and let English words, names and the language switch be."""
    p = page(chromium, locale="en-US", timezone=BROWSER_ZONE)
    vi, en = Walk(served, p, "nobody", "vi"), Walk(served, p, "nobody", "en")
    for html, walk, word in (("<p>Trạng thái: talking</p>", vi, "talking"), ("<p>Lĩnh vực: trees</p>", vi, "trees"),
                             ("<p>Queue: incidents</p>", vi, "incidents"), ("<p>State: in_call</p>", en, "in_call"),
                             ("<p>Area: hai_chau</p>", en, "hai_chau"), ("<p>State: wrapup</p>", en, "wrapup"),
                             ("<p title='desk.banner'>x</p>", en, "desk.banner"),
                             ("<table><tr><td data-label='state.nobody'>x</td></tr></table>", vi, "state.nobody"),
                             ("<p>Trạng thái: Log out of the queues</p>", vi, "Log out of the queues"),
                             ("<p>Status: Đã chuyển cơ quan</p>", en, "Đã chuyển cơ quan")):
        p.set_content(f"<body>{html}</body>")
        with pytest.raises(AssertionError, match=re.escape(word)):
            walk.check_text(html)
    p.set_content("<body><p>Talking, ready, open: 1022-261203-0101 · Nguyễn Thị Lan · queue wait 4 s</p>"
                  "<button lang='vi'>Tiếng Việt</button></body>")
    en.check_text("English words")
    p.context.close()
