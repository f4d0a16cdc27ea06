"""`tongdai backup` / `tongdai restore` on a seeded database (SQLite and PostgreSQL)."""
from __future__ import annotations

import json

from db import store
from tests.conftest import postgres_server
from tests.harness.cli import cli
from tests.harness.console import add_ticket
from tests.harness.site import make_site
from tongdai import backup_cli
from recordings.store import sha256


def seeded(tmp_path):
    site = make_site(tmp_path / "site")
    db = store.connect(site.paths.database_url)
    store.migrate(db)
    for n in range(1, 6):
        add_ticket(db, site.paths.recordings, f"1022-261203-{n:04d}", "101")
    db.dispose()
    return site


def test_backup_then_restore_into_a_new_folder(tmp_path, backend):
    site = seeded(tmp_path)
    out = cli(site, "backup", str(tmp_path / "bk")).stdout
    assert "backup complete" in out and "5 tickets" in out
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert len(manifest["recordings"]) == 5
    target = ["--database-url", postgres_server().new_database()] if backend == "postgresql" else []
    out = cli(site, "restore", str(tmp_path / "bk"), "--data", str(tmp_path / "new"), *target).stdout
    assert "restored into" in out and "5 tickets" in out
    url = target[1] if target else f"sqlite:///{tmp_path / 'new' / 'tongdai.db'}"
    db = store.connect(url)
    restored = store.list_tickets(db)
    db.dispose()
    assert sorted(t.code for t in restored) == [f"1022-261203-{n:04d}" for n in range(1, 6)]
    for r in manifest["recordings"]:
        assert sha256(tmp_path / "new" / "recordings" / r["path"]) == r["sha256"]


def test_a_truncated_or_partial_backup_is_refused_and_nothing_is_written(tmp_path):
    site = seeded(tmp_path)
    cli(site, "backup", str(tmp_path / "bk"))
    name = json.loads((tmp_path / "bk" / "manifest.json").read_text())["database"]["file"]
    db_file = tmp_path / "bk" / name
    db_file.write_bytes(db_file.read_bytes()[:2048])
    done = cli(site, "restore", str(tmp_path / "bk"), "--data", str(tmp_path / "new"), check=False)
    assert done.returncode == 1 and f"{name} is damaged or truncated" in done.stderr
    assert not (tmp_path / "new").exists()
    (tmp_path / "bk" / "manifest.json").unlink()  # interrupted before the manifest
    done = cli(site, "restore", str(tmp_path / "bk"), "--data", str(tmp_path / "new"), check=False)
    assert done.returncode == 1 and "incomplete" in done.stderr
    # an existing folder is never written over
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep").write_text("x")
    done = cli(site, "backup", str(tmp_path / "used"), check=False)
    assert done.returncode == 1 and "not empty" in done.stderr and (tmp_path / "used" / "keep").read_text() == "x"
    assert backup_cli.FORMAT.startswith("tongdai-backup")
