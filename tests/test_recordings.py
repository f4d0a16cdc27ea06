"""The recordings store: atomic take, hash, length checks, verify, purge, export."""
import wave
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import store as dbstore
from db.models import Audit, Call, Recording, Ticket
from db.clock import utcnow
from recordings import audit, store
from tests.harness.site import make_site


def wav(path, seconds):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * int(8000 * seconds))
    return path


def test_take_moves_hashes_and_checks_length(tmp_path):
    site = make_site(tmp_path)
    src = wav(store.monitor_dir(site) / "1022-261125-0001.wav", 10)
    stored = store.take(site, src, datetime(2026, 11, 25), expected_s=11.0)
    assert not src.exists() and stored.flag is None and stored.duration_s == 10.0
    assert stored.sha256 == store.sha256(site.paths.recordings / stored.path)
    assert stored.path == "2026/11/25/1022-261125-0001.wav"
    off = store.take(site, wav(store.monitor_dir(site) / "b.wav", 5), datetime(2026, 11, 25), expected_s=30)
    assert off.flag.startswith("length 5.0 s differs")
    empty = store.monitor_dir(site) / "c.wav"
    wav(empty, 0)
    assert store.take(site, empty, datetime(2026, 11, 25)).flag == "empty file (header only)"


def test_mixmonitor_args_refuse_anything_but_a_code(tmp_path):
    site = make_site(tmp_path)
    assert store.mixmonitor_args(site, "1022-261125-0001").endswith("closed/1022-261125-0001")
    import pytest
    with pytest.raises(ValueError):
        store.mixmonitor_args(site, "x; rm -rf /")


def _row(db, site, code, status, created, seconds=3):
    stored = store.take(site, wav(store.monitor_dir(site) / f"{code}.wav", seconds), created)
    with Session(db) as s, s.begin():
        call = Call(uniqueid=code, started_at=created, language="vi")
        s.add(call)
        s.flush()
        t = Ticket(code=code, call_id=call.id, status=status, priority=3, created_at=created)
        s.add(t)
        s.flush()
        s.add(Recording(ticket_id=t.id, kind="call", path=stored.path, sha256=stored.sha256, bytes=stored.bytes,
                        duration_s=stored.duration_s, status="ok", created_at=created))
    return stored


def test_verify_finds_altered_missing_and_orphaned_files(tmp_path):
    site = make_site(tmp_path)
    db = dbstore.connect(site.paths.database_url)
    dbstore.migrate(db)
    now = utcnow()
    a = _row(db, site, "1022-261125-0001", "closed", now)
    b = _row(db, site, "1022-261125-0002", "closed", now)
    assert audit.verify(site, db).clean
    with open(site.paths.recordings / a.path, "r+b") as f:  # one byte changed on disk
        f.seek(100)
        f.write(b"\xff")
    (site.paths.recordings / b.path).unlink()
    wav(site.paths.recordings / "stray.wav", 1)
    r = audit.verify(site, db)
    assert r.corrupt == [f"{a.path} (ticket 1022-261125-0001)"]
    assert r.missing == [f"{b.path} (ticket 1022-261125-0002)"]
    assert r.orphaned == ["stray.wav"] and not r.clean


def test_purge_keeps_an_expired_recording_of_an_open_ticket(tmp_path):
    site = make_site(tmp_path, recordings={"retention_days": 30})
    db = dbstore.connect(site.paths.database_url)
    dbstore.migrate(db)
    old = utcnow() - timedelta(days=40)
    closed = _row(db, site, "1022-251016-0001", "closed", old)
    pending = _row(db, site, "1022-251016-0002", "callback_pending", old)
    fresh = _row(db, site, "1022-261125-0003", "closed", utcnow())
    removed, kept = audit.purge(site, db)
    assert removed == [closed.path] and kept == [f"{pending.path} (ticket 1022-251016-0002 is callback_pending)"]
    assert not (site.paths.recordings / closed.path).exists()
    assert (site.paths.recordings / pending.path).exists() and (site.paths.recordings / fresh.path).exists()
    assert audit.verify(site, db).clean  # purged rows are not reported missing


def test_export_writes_an_audit_row(tmp_path):
    site = make_site(tmp_path)
    db = dbstore.connect(site.paths.database_url)
    dbstore.migrate(db)
    _row(db, site, "1022-261125-0009", "closed", utcnow())
    [copy] = audit.export(site, db, "1022-261125-0009", tmp_path / "out", "supervisor201")
    assert copy.exists()
    with Session(db) as s:
        [row] = s.scalars(select(Audit)).all()
    assert (row.actor, row.action, row.target) == ("supervisor201", "recording_export", "1022-261125-0009")
