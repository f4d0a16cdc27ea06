"""Bookkeeping of the bulk exports running in the background: who asked, how far it is, where the
file is. A worker thread reports progress while the console answers the page's polls, so every
change goes through one lock. Finished jobs and their files are forgotten after `keep` seconds;
at most `most` run at once (the machine also carries the calls)."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path


class Busy(RuntimeError):
    """Too many exports are running: try again when one is done."""


@dataclass(frozen=True)
class Job:
    id: str
    owner: str
    fmt: str  # xlsx | csv
    path: Path
    filename: str  # what the browser saves it as
    started: float  # time.monotonic()
    state: str = "running"  # running | done | failed
    done: int = 0
    total: int = 0
    error: str | None = None
    ended: float | None = None

    def view(self) -> dict[str, object]:
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total, "format": self.fmt}


class Jobs:
    def __init__(self, folder: Path, keep: float = 3600, most: int = 2):
        self.folder, self.keep, self.most = folder, keep, most
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, owner: str, fmt: str, filename: str) -> Job:
        """A new running job with its file's place (the folder is made if needed); Busy when
        `most` are already running."""
        self.sweep()
        with self._lock:
            if sum(j.state == "running" for j in self._jobs.values()) >= self.most:
                raise Busy(f"{self.most} exports are already running")
            job_id = secrets.token_urlsafe(12)  # unguessable: a job is its owner's
            job = Job(job_id, owner, fmt, self.folder / f"{job_id}.{fmt}", filename, time.monotonic())
            self._jobs[job_id] = job
        self.folder.mkdir(parents=True, exist_ok=True)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _set(self, job_id: str, **changes: object) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id] = replace(self._jobs[job_id], **changes)  # type: ignore[arg-type]

    def total(self, job_id: str, total: int) -> None:
        self._set(job_id, total=total)

    def progress(self, job_id: str, done: int) -> None:
        self._set(job_id, done=done)

    def finish(self, job_id: str) -> None:
        self._set(job_id, state="done", ended=time.monotonic())

    def fail(self, job_id: str, error: str) -> None:
        self._set(job_id, state="failed", error=error, ended=time.monotonic())
        job = self.get(job_id)
        if job is not None:
            job.path.unlink(missing_ok=True)  # a half-written file is never offered

    def sweep(self, now: float | None = None) -> None:
        """Forget the jobs finished more than `keep` seconds ago, and delete their files."""
        now = time.monotonic() if now is None else now
        with self._lock:
            old = [j for j in self._jobs.values() if j.ended is not None and now - j.ended > self.keep]
            for j in old:
                del self._jobs[j.id]
        for j in old:
            j.path.unlink(missing_ok=True)
