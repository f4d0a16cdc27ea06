"""Checks of the recordings store: verify hashes, purge expired files (never those of open
tickets), export a copy with an audit row."""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from config import Site
from db import store as dbstore
from db.queries import recordings as books
from db.queries.recordings import OPEN_STATUSES
from db.types import Database
from db.clock import utcnow
from recordings.store import sha256

log = logging.getLogger("tongdai.recordings")
__all__ = ["OPEN_STATUSES", "Report", "verify", "purge", "export"]


@dataclass
class Report:
    ok: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.corrupt or self.orphaned)


def verify(site: Site, db: Database) -> Report:
    report, known = Report(), set()
    for rec in books.stored(db):
        code = rec.ticket
        known.add(rec.path)
        path = site.paths.recordings / rec.path
        if not path.exists():
            report.missing.append(f"{rec.path} (ticket {code})")
        elif sha256(path) != rec.sha256:
            report.corrupt.append(f"{rec.path} (ticket {code})")
        else:
            report.ok += 1
        if rec.status == "flagged":
            report.flagged.append(f"{rec.path} (ticket {code}): {rec.flag}")
    root = site.paths.recordings
    for path in sorted(root.rglob("*.wav")) if root.exists() else []:
        if str(path.relative_to(root)) not in known:
            report.orphaned.append(str(path.relative_to(root)))
    return report


def purge(site: Site, db: Database, now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Delete recordings older than the site's retention; returns (removed, kept because open)."""
    cutoff = (now or utcnow()) - timedelta(days=site.retention_days)
    removed: list[str] = []
    kept: list[str] = []
    for rec in books.stored(db, older_than=cutoff):
        if rec.ticket_status in OPEN_STATUSES:
            kept.append(f"{rec.path} (ticket {rec.ticket} is {rec.ticket_status})")
            continue
        (site.paths.recordings / rec.path).unlink(missing_ok=True)
        books.mark_purged(db, rec.id, utcnow())
        removed.append(rec.path)
        log.info("purged recording %s of ticket %s (older than %d days)", rec.path, rec.ticket, site.retention_days)
    return removed, kept


def export(site: Site, db: Database, code: str, out: Path, actor: str) -> list[Path]:
    """Copy a ticket's recordings to `out` (a directory); every copy is audited."""
    rows = books.stored(db, code=code)
    out.mkdir(parents=True, exist_ok=True)
    copies = []
    for rec in rows:
        dest = out / Path(rec.path).name
        shutil.copyfile(site.paths.recordings / rec.path, dest)
        dbstore.add_audit(db, actor, "recording_export", target=code, detail={"path": rec.path, "to": str(dest)})
        copies.append(dest)
    return copies
