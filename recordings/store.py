"""The recordings store: closed files moved in from the spool, hashed, measured, checked.

MixMonitor writes `<spool>/monitor/<name>.wav` and, once it has closed the file (its WAV
header sizes are only written then), its post-command touches `<spool>/closed/<name>`. Only
then is the file taken: copied to a temporary name in the store, fsynced, renamed, and the
spool copy removed. A file no bigger than a bare WAV header, or whose length differs from
the answered call by more than 2 s, is flagged, never silently kept as good.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from config import Site

with warnings.catch_warnings():  # pydub warns about ffmpeg at import; it only reads wav here
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

log = logging.getLogger("tongdai.recordings")
WAV_HEADER = 44
TOLERANCE_S = 2.0


def monitor_dir(site: Site) -> Path:
    return site.paths.spool / "monitor"


def closed_dir(site: Site) -> Path:
    return site.paths.spool / "closed"


def mixmonitor_args(site: Site, name: str) -> str:
    """MixMonitor's arguments: the file, no options, the post-command marking it closed.
    `name` is built by tongdai from the ticket code (digits and dashes only)."""
    if not all(ch.isalnum() or ch == "-" for ch in name):
        raise ValueError(f"not a recording name: {name!r}")
    return f"{monitor_dir(site) / name}.wav,,touch {closed_dir(site) / name}"


@dataclass(frozen=True)
class Stored:
    path: str  # relative to the store
    sha256: str | None
    bytes: int
    duration_s: float | None
    flag: str | None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def duration(path: Path) -> float | None:
    try:
        return round(len(AudioSegment.from_wav(path)) / 1000, 2)
    except Exception as e:  # a truncated or foreign file: flagged by the caller, not a crash
        log.warning("cannot read %s as wav: %s", path, e)
        return None


def take(site: Site, src: Path, when: datetime, expected_s: float | None = None) -> Stored:
    """Move a closed file into the store atomically and check it."""
    rel = Path(when.strftime("%Y/%m/%d")) / src.name
    dest = site.paths.recordings / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        with src.open("rb") as fin, tmp.open("wb") as fout:
            shutil.copyfileobj(fin, fout)
            fout.flush()
            os.fsync(fout.fileno())
    except OSError:
        tmp.unlink(missing_ok=True)  # no half file; the source stays in the spool
        raise
    tmp.replace(dest)
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    src.unlink()
    size = dest.stat().st_size
    length = duration(dest) if size > WAV_HEADER else 0.0
    flag = None
    if size <= WAV_HEADER:
        flag = "empty file (header only)"
    elif length is None:
        flag = "unreadable wav"
    elif expected_s is not None and abs(length - expected_s) > TOLERANCE_S:
        flag = f"length {length:.1f} s differs from the answered call {expected_s:.1f} s"
    if flag:
        log.warning("recording %s flagged: %s", rel, flag)
    return Stored(str(rel), sha256(dest), size, length, flag)
