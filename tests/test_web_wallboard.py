"""The wallboard and its room screen (TV mode): levels from the site's `[wallboard]` thresholds,
computed on the server (unit), in the API (the console app, no PBX), and on the real PBX with a
SIPp citizen waiting and the TV page in Chromium at 1920×1080 (no scrolling) and 390 px."""
from __future__ import annotations

import threading
import time

from db.queries import agents as stored_agents
from tests.conftest import EngineProcess
from tests.harness import sipp
from tests.harness.browser import browser, login, page, shot
from tests.harness.cli import cli
from tests.harness.console import PASSWORD, ServedConsole
from tests.harness.site import variant
from web.board import level, live_service_level

SMALL = {"wait_amber_s": 2, "wait_red_s": 4}


def test_level_of_a_figure():
    assert [level(v, 3, 6) for v in (None, 0, 2, 3, 5, 6, 40)] == [
        "normal", "normal", "normal", "amber", "amber", "red", "red"]
    # the service level: below the figure is worse
    assert [level(v, 0.8, 0.6, lower_is_worse=True) for v in (None, 1.0, 0.8, 0.79, 0.6, 0.59, 0)] == [
        "normal", "normal", "normal", "amber", "amber", "red", "red"]
    assert level(0.1, 0.05, 0.1) == "red" and level(0.05, 0.05, 0.1) == "amber" and level(0.0, 0.05, 0.1) == "normal"



def test_callers_still_waiting_within_the_target_do_not_count_against_the_service_level():
    assert live_service_level(0.0, 1, 1) is None  # one caller, just joined
    assert live_service_level(0.5, 4, 2) == 1.0  # two answered in time, two still waiting in time
    assert live_service_level(0.25, 4, 0) == 0.25
    assert live_service_level(None, 0, 0) is None


async def test_the_picture_carries_thresholds_levels_and_names(tmp_path):
    async with ServedConsole(tmp_path, wallboard=SMALL) as served:
        c = served.console
        stored_agents.add(c.db, "101", "Nguyễn Thị Lan", "not-a-pin-hash", {"incidents": 1})
        seat = c.acd.board.seat("101")
        seat.state, seat.since, seat.queues = "ready", time.time() - 30, {"incidents"}
        c.acd.waiting["incidents"] = {"u-wait-1"}
        c.acd.joined["u-wait-1"] = time.time() - 10
        hoa = await served.logged_in("hoa")
        async with hoa.request("GET", "/api/wallboard") as r:
            assert r.status == 200
            board = await r.json()
        assert board["thresholds"]["wait_red_s"] == 4 and board["thresholds"]["waiting_red"] == 6
        incidents = {q["queue"]: q for q in board["queues"]}["incidents"]
        assert incidents["waiting"] == 1 and incidents["longest_wait_s"] >= 10
        assert incidents["levels"] == {"waiting": "normal", "longest_wait": "red", "service_level": "normal",
                                       "abandoned": "normal"}
        assert {q["queue"]: q for q in board["queues"]}["operator"]["levels"]["longest_wait"] == "normal"
        assert [(a["agent"], a["name"], a["state"]) for a in board["agents"]] == [("101", "Nguyễn Thị Lan", "ready")]


def test_tv_wallboard_turns_red_for_a_long_wait_and_fits_the_screen(real_pbx, workdir):
    """A citizen waits in the incidents queue with no agent logged in; the room screen at
    1920×1080 turns the longest wait red (thresholds 2 s / 4 s) and nothing scrolls."""
    site = real_pbx.site
    base = f"http://127.0.0.1:{site.ports.web}"
    engine = EngineProcess(site, workdir / "engine.log", variant(site, workdir / "tv.toml", wallboard=SMALL))
    cli(site, "users", "add", "hoa", "--role", "supervisor", "--extension", "201", "--password-stdin",
        stdin=PASSWORD + "\n", check=False)  # the session's database may have it from another test
    for ext in site.agents.extensions:
        cli(site, "agents", "logout", str(ext), check=False)
    citizen = sipp.write_citizen(workdir, [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"),
                                           ("pause", 30000)], end="bye", caller="0912000777", name="tv-citizen")
    result: list = []
    caller = threading.Thread(target=lambda: result.append(sipp.call(site.ports.sip, citizen, timeout=90)))
    try:
        engine.wait_log("ACD picture synced", timeout=30)
        engine.wait_log("console on http://")
        with browser() as b:
            tv = page(b)
            tv.set_viewport_size({"width": 1920, "height": 1080})
            login(tv, base, "hoa", PASSWORD)
            tv.goto(f"{base}/wallboard/tv")
            tv.wait_for_selector("#tvq-incidents-longest_wait")
            caller.start()
            tv.wait_for_selector("#tvq-incidents-longest_wait[data-level='red']", timeout=60000)
            assert tv.inner_text("#tvq-incidents-waiting .tv-number") == "1"
            assert tv.get_attribute("#tvq-incidents-longest_wait .tv-number", "data-level") == "red"
            assert "Sự cố" in tv.inner_text("#tvq-incidents .tv-queue-name")  # the queue's Vietnamese name
            for key in ("waiting", "longest_wait", "answered", "abandoned", "service_level"):
                for q in ("operator", "admin", "incidents"):
                    assert tv.is_visible(f"#tvq-{q}-{key} .tv-number"), (q, key)
            size = tv.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                               " innerWidth, innerHeight]")
            assert size[0] <= size[2] and size[1] <= size[3], size
            font = tv.evaluate("parseFloat(getComputedStyle(document.querySelector("
                               "'#tvq-incidents-waiting .tv-number')).fontSize)")
            assert font >= 60, f"the big numbers are {font}px high on a 1080-line screen"
            assert tv.is_visible(".live-dot.ok")
            shot(tv, "wallboard-tv-1920")

            tv.set_viewport_size({"width": 390, "height": 844})
            tv.wait_for_selector("#tvq-incidents-longest_wait[data-level='red']")
            assert tv.evaluate("document.documentElement.scrollWidth <= innerWidth")
            shot(tv, "wallboard-tv-390")

            board = page(b)
            login(board, base, "hoa", PASSWORD)
            board.goto(f"{base}/wallboard")
            board.wait_for_selector("#queues >> text=Sự cố")
            board.wait_for_selector("#queues .figure[data-level='red']")
            assert board.is_visible("#tv-link")
            shot(board, "wallboard-levels")
            for p in (tv, board):
                assert p.errors == [], p.errors
    finally:
        engine.stop()
        if caller.ident is not None:
            caller.join(120)
