"""A caller over capacity gets a clean busy signal, and is still in the books.

With every trunk channel taken (`[trunk] channels = 2`, two citizens holding), a third caller is
refused at once with a final 503 (no answer, no silence: SIPp's scenario fails on anything else),
and Asterisk's CDR knows the call. Reconciliation puts it in the books as refused, in words on
the ticket's timeline. The two holders are served by the engine as usual.
"""
from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import EngineProcess, start_pbx
from tests.harness import sipp
from tests.harness.tickets import wait_closed
from tongdai import pbx as pbxmod
from web.story import describe

pytestmark = pytest.mark.pbx  # its own Asterisk: a trunk of two channels
HOLDERS = ["0909000001", "0909000002"]
REFUSED = "0909000003"


def _trunk_calls(running) -> int:
    """Calls up on the trunk now (`core show channels concise`: one line per channel)."""
    out = pbxmod.rx(running.pbx, running.layout, "core show channels concise")
    return sum(1 for line in out.splitlines() if line.startswith(f"PJSIP/{running.site.trunk.name}-"))


def _hold(site, xml, results: list) -> None:
    results.append(sipp.call(site.ports.sip, xml, timeout=60))


def test_a_caller_over_the_trunk_limit_hears_busy_and_is_in_the_books(tmp_path):
    running = start_pbx(tmp_path / "pbx", trunk={"channels": 2})
    site = running.site
    engine = EngineProcess(site, tmp_path / "engine.log")
    restarted = None
    holders: list = []
    try:
        engine.wait_log("ACD picture synced")
        threads = []
        for number in HOLDERS:
            (tmp_path / number).mkdir()
            xml = sipp.write_citizen(tmp_path / number, [("pause", 12000)], caller=number, name="holder")
            threads.append(threading.Thread(target=_hold, args=(site, xml, holders)))
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while _trunk_calls(running) < 2:
            assert time.monotonic() < deadline, "the two holders never both reached Asterisk"
            time.sleep(0.2)

        (tmp_path / "third").mkdir()
        refused = sipp.call(site.ports.sip, sipp.write_refused(tmp_path / "third", REFUSED, 503), timeout=30)
        assert (refused.successful, refused.failed) == (1, 0), refused  # a final 503 at once, nothing else
        for t in threads:
            t.join()
        assert [(h.successful, h.failed) for h in holders] == [(1, 0), (1, 0)], [str(h) for h in holders]

        # reconciliation runs at start, then every minute: a restart runs it now
        engine.stop()
        restarted = EngineProcess(site, tmp_path / "engine-2.log")
        restarted.wait_log("ACD picture synced")
        [ticket] = wait_closed(site, REFUSED, timeout=60)
        assert ticket["status"] == "closed"
        [reconciled] = [e for e in ticket["events"] if e["kind"] == "reconciled"]
        assert reconciled["detail"]["why"] == "trunk_full", reconciled
        told = describe(reconciled, site, "vi")
        assert told.startswith("Mọi kênh trung kế đều bận"), told
        for number in HOLDERS:  # served by the engine, not reconciled
            [held] = wait_closed(site, number, timeout=60)
            assert held["status"] != "in_call", held
    finally:
        if restarted:
            restarted.stop()
        engine.stop()
        pbxmod.stop(running.proc)
