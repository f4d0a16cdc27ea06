"""The database's part of a backup: a consistent copy taken while calls go on, and its restore.

SQLite: the online backup API copies a snapshot page by page while the engine keeps writing.
PostgreSQL: `pg_dump` (custom format, one consistent snapshot) and `pg_restore` into an empty
database. The recordings a snapshot knows are listed from it, with the sha256 stored when
each was taken in, so the copy of the audio matches the copy of the books.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from sqlalchemy import create_engine, func, inspect, make_url, select
from sqlalchemy.orm import Session

from db.models import Recording, Ticket, TicketEvent

Progress = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and nothing was overwritten."""


@dataclass(frozen=True)
class StoredRecording:
    path: str  # relative to the recordings store
    sha256: str | None
    bytes: int


def kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups know SQLite and PostgreSQL, not {name}")
    return name


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: the newest Debian one, else on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    tool = str(found[-1]) if found else shutil.which(name)
    if not tool:
        raise BackupError(f"{name} not found: apt-get install postgresql-client")
    return tool


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", "-d",
            u.database or "postgres"]
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    return args, env


def dump(url: str, dest: Path, say: Progress) -> None:
    """A consistent copy of the database into `dest` (a new file)."""
    if kind(url) == "sqlite":
        source = sqlite3.connect(make_url(url).database or "", timeout=30)
        target = sqlite3.connect(dest)
        try:
            def progress(status: int, remaining: int, total: int) -> None:
                say(f"database: {total - remaining}/{total} pages")
            source.backup(target, pages=256, progress=progress)
        finally:
            target.close()
            source.close()
        return
    args, env = _pg_args(url)
    done = subprocess.run([pg_tool("pg_dump"), "-Fc", "-f", str(dest), *args], env=env, capture_output=True,
                          text=True, timeout=3600)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    say(f"database: pg_dump wrote {dest.stat().st_size} bytes")


def snapshot_url(url: str, copy: Path) -> str:
    """Where to read the copy back: the SQLite file itself (PostgreSQL dumps are read after restore)."""
    return f"sqlite:///{copy}" if kind(url) == "sqlite" else url


def recordings_in(url: str) -> list[StoredRecording]:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            rows = s.execute(select(Recording.path, Recording.sha256, Recording.bytes)
                             .where(Recording.status != "purged").order_by(Recording.id)).all()
    finally:
        engine.dispose()
    return [StoredRecording(p, h, b) for p, h, b in rows]


def counts(url: str) -> tuple[int, int]:
    """(tickets, events): what a restore is checked against."""
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            tickets = s.scalar(select(func.count()).select_from(Ticket)) or 0
            events = s.scalar(select(func.count()).select_from(TicketEvent)) or 0
            return int(tickets), int(events)
    finally:
        engine.dispose()


def check_sqlite(path: Path) -> None:
    """A readable, intact SQLite file with tongdai's tables, or BackupError."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path.name} is not a usable SQLite database: {e}") from None
    if not ok or ok[0] != "ok" or "tickets" not in tables:
        raise BackupError(f"{path.name} fails SQLite's integrity check or has no tickets table")


def restore_postgres(dump_file: Path, url: str, say: Progress) -> None:
    """pg_restore into an empty database (one with tables is never written over)."""
    engine = create_engine(url)
    try:
        if inspect(engine).get_table_names():
            raise BackupError(f"the database {make_url(url).database} is not empty: restore needs an empty one")
    finally:
        engine.dispose()
    args, env = _pg_args(url)
    done = subprocess.run([pg_tool("pg_restore"), "--no-owner", "--exit-on-error", *args, str(dump_file)], env=env,
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")
    say("database: pg_restore done")
