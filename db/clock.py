"""Times as the database stores them: naive UTC (aware times are converted at the edges)."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
