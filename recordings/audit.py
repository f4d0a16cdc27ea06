"""Checks of the recordings store: verify hashes, purge expired files (never those of open
tickets), export a copy with an audit row."""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db import store as dbstore
from db.models import Recording, Ticket
from db.writer import utcnow
from recordings.store import sha256
from config import Site

log = logging.getLogger("tongdai.recordings")
OPEN_STATUSES = ("in_call", "callback_pending")


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


def verify(site: Site, db: Engine) -> Report:
    report, known = Report(), set()
    with Session(db) as s:
        rows = s.execute(select(Recording, Ticket.code).join(Ticket).where(Recording.status != "purged")).all()
    for rec, code in rows:
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


def purge(site: Site, db: Engine, now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Delete recordings older than the site's retention; returns (removed, kept because open)."""
    cutoff = (now or utcnow()) - timedelta(days=site.retention_days)
    removed, kept = [], []
    with Session(db) as s, s.begin():
        rows = s.execute(select(Recording, Ticket).join(Ticket).where(Recording.status != "purged",
                                                                     Recording.created_at < cutoff)).all()
        for rec, ticket in rows:
            if ticket.status in OPEN_STATUSES:
                kept.append(f"{rec.path} (ticket {ticket.code} is {ticket.status})")
                continue
            (site.paths.recordings / rec.path).unlink(missing_ok=True)
            rec.status, rec.purged_at = "purged", utcnow()
            removed.append(rec.path)
            log.info("purged recording %s of ticket %s (older than %d days)", rec.path, ticket.code,
                     site.retention_days)
    return removed, kept


def export(site: Site, db: Engine, code: str, out: Path, actor: str) -> list[Path]:
    """Copy a ticket's recordings to `out` (a directory); every copy is audited."""
    with Session(db) as s:
        rows = s.scalars(select(Recording).join(Ticket).where(Ticket.code == code, Recording.status != "purged")).all()
    out.mkdir(parents=True, exist_ok=True)
    copies = []
    for rec in rows:
        dest = out / Path(rec.path).name
        shutil.copyfile(site.paths.recordings / rec.path, dest)
        dbstore.add_audit(db, actor, "recording_export", target=code, detail={"path": rec.path, "to": str(dest)})
        copies.append(dest)
    return copies
