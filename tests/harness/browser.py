"""Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright; never a downloaded browser."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium required for the browser tests: apt-get install chromium")
    return path


@contextmanager
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def page(b: Browser, locale: str = "vi-VN", width: int = 1280, height: int = 900,
         timezone: str = "Asia/Ho_Chi_Minh") -> Page:
    ctx = b.new_context(viewport={"width": width, "height": height}, locale=locale, timezone_id=timezone)
    ctx.set_default_timeout(15000)
    p = ctx.new_page()
    p.errors = []  # script errors and console errors (a CSP violation shows here)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
    return p


def shot(p: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    p.screenshot(path=str(path), full_page=True)
    return path


def login(p: Page, base: str, username: str, password: str) -> None:
    p.goto(f"{base}/login")
    p.fill("#username", username)
    p.fill("#password", password)
    p.click("#login")
    p.wait_for_url(lambda url: "/login" not in url)


# every piece of text a person may see, hidden parts included (a hidden form opens later), except
# what is marked as the other language; the phone layout shows each cell's data-label
_TEXTS = """() => {
  const out = [], own = document.documentElement.lang;
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const marked = n.parentElement.closest("[lang]");  // the language switch names the other language in it
    if (["SCRIPT", "STYLE"].includes(n.parentElement.tagName) || (marked && marked.lang !== own)) continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll("[title], [placeholder], [aria-label], [alt], td[data-label]")) {
    for (const a of ["title", "placeholder", "aria-label", "alt", "data-label"]) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  out.push(document.title);
  return out.join("\\n");
}"""
_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
# the outermost elements reaching past the window's right edge (for the failure message)
_WIDE = """() => {
  const over = (e) => e && e.getBoundingClientRect().right > innerWidth + 0.5;
  return [...document.querySelectorAll("body *")].filter((e) => over(e) && !over(e.parentElement)).slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`);
}"""


def page_texts(p: Page) -> str:
    """Every text of the page, one a line: text nodes (hidden ones too), tooltips, placeholders,
    labels, the phone layout's cell headings and the title; not what is marked as another language."""
    return p.evaluate(_TEXTS)


def settle(p: Page) -> None:
    """Two animation frames: what redraws on a resize (charts) has redrawn."""
    p.evaluate(_FRAMES)


def too_wide(p: Page) -> list[str]:
    """The outermost elements reaching past the window's right edge, for a failure message."""
    return p.evaluate(_WIDE)
