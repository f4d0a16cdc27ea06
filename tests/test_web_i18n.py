"""The whole console in the reader's language (issue 15): with a browser set to en-US (and to New
York's time zone), every page of every role shows Vietnamese by default and English after the
header's switch. A walk over every page fails on a catalog key, an internal code or a message of
the other language left visible (text, option, tooltip, placeholder, or the phone layout's cell
labels), a script error or a missing message, a document not in the language chosen, or anything
wider than the window at 1366×900 and 390×844; it takes a full-page screenshot of each. Times are
the site's, not the browser's. The choice stays with the user."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Ticket
from tests.harness.browser import browser, login, page, page_texts, settle, shot, too_wide
from tests.harness.page_walk import (
    BROWSER_ZONE, FORBIDDEN, MAIN, NAMES, PEOPLE_TYPED, READY, SIZES, TABS, USERS, catalog_keys, english_suspects,
    phrases, raw_codes, seed_by_admin, seed_seats, seed_tickets)
from tests.harness.console import PASSWORD, ServedConsole, ThreadedConsole
from web import accounts
from web.accounts import ROLES
from web.pages import PAGES, TICKET_ROLES

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The console served from a thread (Playwright's sync API wants this one), seeded for every page."""
    bg = ThreadedConsole(tmp_path_factory.mktemp("i18n"))
    s = bg.served
    accounts.add_user(s.db, "quantri", "admin", PASSWORD, name="Quản Trị Viên")
    bg.run(seed_by_admin(s))
    seed_tickets(s)
    seed_seats(s)
    try:
        yield s
    finally:
        bg.close()


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


# ---- what must never show ----

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
