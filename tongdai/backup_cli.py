"""`tongdai backup DIR` and `tongdai restore DIR --data NEWDIR`: for the province's IT staff.

A backup is a new folder: the database (a consistent copy taken while calls go on), every
recording the copy knows, the secrets file, and `manifest.json` with each file's sha256,
written last (a backup without it is incomplete). A restore checks every hash first and
writes only into a new, empty data folder (built aside and renamed at the end): a bad or
partial backup is refused with the reason, and nothing is overwritten.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from db import backup as dbb
from recordings.store import sha256
from config import Site

FORMAT = "tongdai-backup 1"


def say(text: str) -> None:
    print(text, flush=True)


def _empty(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


def _copy(src: Path, dest: Path) -> str:
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(src, dest)
    return sha256(dest)


def backup(site: Site, out: Path) -> dict[str, Any]:
    if not _empty(out):
        raise dbb.BackupError(f"{out} is not empty: a backup goes into a new folder, nothing is overwritten")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = site.paths.database_url
    kind = dbb.kind(url)
    db_file = out / ("database.sqlite" if kind == "sqlite" else "database.pgdump")
    dbb.dump(url, db_file, say)
    read_from = dbb.snapshot_url(url, db_file)
    tickets, events = dbb.counts(read_from)
    stored = dbb.recordings_in(read_from)
    entries = []
    for i, rec in enumerate(stored, 1):
        src = site.paths.recordings / rec.path
        if not src.is_file():
            entries.append({"path": rec.path, "missing": True})
            say(f"recordings: {i}/{len(stored)} {rec.path} MISSING from the store (listed, not copied)")
            continue
        digest = _copy(src, out / "recordings" / rec.path)
        entries.append({"path": rec.path, "sha256": digest, "bytes": src.stat().st_size,
                        **({"stored_sha256_differs": True} if rec.sha256 and rec.sha256 != digest else {})})
        if i % 20 == 0 or i == len(stored):
            say(f"recordings: {i}/{len(stored)}")
    secrets = None
    if site.paths.secrets.exists():
        secrets = {"file": "secrets.toml", "sha256": _copy(site.paths.secrets, out / "secrets.toml")}
        (out / "secrets.toml").chmod(0o600)
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "site": site.name, "hotline": site.hotline,
                "database": {"kind": kind, "file": db_file.name, "sha256": sha256(db_file),
                             "bytes": db_file.stat().st_size, "tickets": tickets, "events": events},
                "recordings": entries, "secrets": secrets}
    part = out / "manifest.json.part"
    part.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    part.replace(out / "manifest.json")  # last: its presence says the backup is whole
    say(f"backup complete: {out} ({tickets} tickets, {events} events, {len(entries)} recordings)")
    return manifest


def _check(folder: Path) -> dict[str, Any]:
    """Every file of the backup against its manifest; BackupError naming the first that fails."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except FileNotFoundError:
        raise dbb.BackupError(f"{folder}: no manifest.json, so the backup is incomplete (interrupted?)") from None
    except (OSError, ValueError) as e:
        raise dbb.BackupError(f"{folder}/manifest.json is unreadable: {e}") from None
    if manifest.get("format") != FORMAT:
        raise dbb.BackupError(f"{folder}: not a tongdai backup ({manifest.get('format')!r})")
    database = manifest["database"]
    files = [(database["file"], database["sha256"])]
    files += [(f"recordings/{r['path']}", r["sha256"]) for r in manifest["recordings"] if not r.get("missing")]
    if manifest.get("secrets"):
        files.append((manifest["secrets"]["file"], manifest["secrets"]["sha256"]))
    for i, (name, digest) in enumerate(files, 1):
        path = folder / name
        if not path.is_file():
            raise dbb.BackupError(f"{name} is missing from the backup")
        if sha256(path) != digest:
            raise dbb.BackupError(f"{name} is damaged or truncated (its sha256 differs from the manifest)")
        if i % 20 == 0 or i == len(files):
            say(f"checked: {i}/{len(files)} files")
    if database["kind"] == "sqlite":
        dbb.check_sqlite(folder / database["file"])
    return dict(manifest)


def restore(folder: Path, data: Path, database_url: str | None = None) -> dict[str, Any]:
    manifest = _check(folder)
    if not _empty(data):
        raise dbb.BackupError(f"{data} is not empty: a restore goes into a new data folder, nothing is overwritten")
    database = manifest["database"]
    if database["kind"] == "postgresql" and not database_url:
        raise dbb.BackupError("a PostgreSQL backup needs --database-url of an empty database to restore into")
    work = data.with_name(f".{data.name}.restoring")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, mode=0o750)
    try:
        if database["kind"] == "sqlite":
            _copy(folder / database["file"], work / "tongdai.db")
            url = f"sqlite:///{data / 'tongdai.db'}"
            check_url = f"sqlite:///{work / 'tongdai.db'}"
        else:
            dbb.restore_postgres(folder / database["file"], str(database_url), say)
            url = check_url = str(database_url)
        entries = [r for r in manifest["recordings"] if not r.get("missing")]
        for i, r in enumerate(entries, 1):
            if _copy(folder / "recordings" / r["path"], work / "recordings" / r["path"]) != r["sha256"]:
                raise dbb.BackupError(f"recordings/{r['path']} changed while it was copied")
            if i % 20 == 0 or i == len(entries):
                say(f"recordings restored: {i}/{len(entries)}")
        if manifest.get("secrets"):
            _copy(folder / "secrets.toml", work / "secrets.toml")
            (work / "secrets.toml").chmod(0o600)
        tickets, events = dbb.counts(check_url)
        if database["kind"] == "sqlite" and (tickets, events) != (database["tickets"], database["events"]):
            raise dbb.BackupError(f"restored {tickets} tickets / {events} events, the backup has "
                                  f"{database['tickets']} / {database['events']}")
        work.rename(data)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    say(f"restored into {data}: {tickets} tickets, {events} events, {len(entries)} recordings, every hash checked")
    say(f"use it with [paths] data = \"{data}\"" + (f" and database_url = \"{url}\"" if database["kind"] != "sqlite"
                                                    else ""))
    return manifest


def cmd_backup(site: Site, args: argparse.Namespace) -> int:
    try:
        backup(site, Path(args.dir))
    except (dbb.BackupError, OSError) as e:
        print(f"tongdai backup: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_restore(site: Site, args: argparse.Namespace) -> int:
    try:
        restore(Path(args.dir), Path(args.data), args.database_url)
    except (dbb.BackupError, OSError) as e:
        print(f"tongdai restore: refused: {e}", file=sys.stderr)
        return 1
    return 0


def add_parsers(sub: Any) -> None:
    b = sub.add_parser("backup", help="a consistent copy of the database, recordings and secrets into a new folder")
    b.add_argument("dir", help="a new (empty) folder for the backup")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="check a backup's every hash, then restore it into a new data folder")
    r.add_argument("dir", help="the backup folder")
    r.add_argument("--data", required=True, help="a new (empty) data folder")
    r.add_argument("--database-url", help="PostgreSQL backups: an empty database to restore into")
    r.set_defaults(func=cmd_restore)
