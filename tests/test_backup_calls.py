"""A backup taken while 20 citizens are on the line, restored into a fresh folder."""
from __future__ import annotations

import json
import threading

from db import store
from recordings.store import sha256
from tests.harness import sipp
from tests.harness.cli import cli
from tests.harness.tickets import wait_closed


def test_backup_during_twenty_calls_restores_whole(real_pbx, engine, ami, workdir):
    site = real_pbx.site
    engine.wait_log("ACD picture synced")
    warm = sipp.write_citizen(workdir, [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"),
                                        ("pause", 3000)], caller="0917000000", name="warm")
    assert sipp.call(site.ports.sip, warm).successful == 1  # at least one recording stored before
    wait_closed(site, "0917000000")
    audio = sipp.tone(workdir, 20)
    steps = [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"), ("audio", audio), ("pause", 12000)]
    xml = sipp.write_citizen(workdir, steps, caller="0917[call_number]")
    results = []
    calls = threading.Thread(target=lambda: results.append(sipp.call(site.ports.sip, xml, calls=20, concurrent=20,
                                                                     rate=10, timeout=90)))
    calls.start()
    ami.wait_event("QueueCallerJoin", timeout=30)  # callers are on the line and in the IVR
    out = cli(site, "backup", str(workdir / "bk")).stdout
    calls.join()
    assert results[0].successful == 20, str(results[0])
    assert "backup complete" in out
    manifest = json.loads((workdir / "bk" / "manifest.json").read_text())
    assert manifest["recordings"] and manifest["database"]["tickets"] >= 1
    out = cli(site, "restore", str(workdir / "bk"), "--data", str(workdir / "restored")).stdout
    assert "every hash checked" in out
    backup_db = store.connect(f"sqlite:///{workdir / 'bk' / 'database.sqlite'}")
    restored_db = store.connect(f"sqlite:///{workdir / 'restored' / 'tongdai.db'}")
    try:
        before = {t.code: [(e.kind, e.detail) for e in t.events] for t in store.list_tickets(backup_db)}
        after = {t.code: [(e.kind, e.detail) for e in t.events] for t in store.list_tickets(restored_db)}
    finally:
        backup_db.dispose()
        restored_db.dispose()
    assert after == before and len(after) == manifest["database"]["tickets"]
    assert sum(len(v) for v in after.values()) == manifest["database"]["events"]
    for r in manifest["recordings"]:
        assert sha256(workdir / "restored" / "recordings" / r["path"]) == r["sha256"]
