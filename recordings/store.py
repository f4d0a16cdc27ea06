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
import struct
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from config import Site

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


PCM_FORMATS = (1, 0xFFFE)  # plain PCM and WAVE_FORMAT_EXTENSIBLE: what pydub reads as wav


def header_duration(path: Path) -> float | None:
    """A PCM WAV's length from its header and the file's size, without reading the audio (a
    30-minute call is 29 MB). The same figure pydub gives: the data chunk as declared, or as far
    as the file goes when the header promises more; None when this is not a PCM WAV we know."""
    with path.open("rb") as f:
        riff = f.read(12)
        if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:] != b"WAVE":
            return None
        size, pos, fmt = path.stat().st_size, 12, None
        for _ in range(10):  # pydub looks at the first 10 chunks
            f.seek(pos)
            head = f.read(8)
            if len(head) < 8:
                return None
            chunk, length = head[:4], int(struct.unpack("<I", head[4:])[0])
            if chunk == b"fmt ":
                fmt = f.read(16)
            elif chunk == b"data":
                if fmt is None or len(fmt) < 16:
                    return None
                audio_format, channels, rate, _, _, bits = (int(v) for v in struct.unpack("<HHIIHH", fmt))
                frame = channels * (bits // 8)
                if audio_format not in PCM_FORMATS or not frame or not rate:
                    return None
                data = min(length, max(0, size - pos - 8))
                return round(round(1000 * (data // frame) / rate) / 1000, 2)
            pos += 8 + length
    return None


def duration(path: Path) -> float | None:
    try:
        fast = header_duration(path)
        if fast is not None:
            return fast
        with warnings.catch_warnings():  # pydub warns about ffmpeg at import; it only reads wav here
            warnings.simplefilter("ignore", RuntimeWarning)
            from pydub import AudioSegment  # the slow path, for what the header reader does not know
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
    digest = hashlib.sha256()
    try:  # hashed as it is copied: the file is read once, not once more to hash it
        with src.open("rb") as fin, tmp.open("wb") as fout:
            for block in iter(lambda: fin.read(1 << 16), b""):
                digest.update(block)
                fout.write(block)
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
    return Stored(str(rel), digest.hexdigest(), size, length, flag)
