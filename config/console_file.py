"""The site file's console tables: `[[areas]]`, `[desk]` (outcomes, required entry, status after
a call) and `[wallboard]` thresholds. Read by `config.site_file`, with the same error style."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from config.reader import ConfigError, Table, between, matches
from config.settings import ENTRY_FIELDS, DeskSettings, Label, WallboardSettings

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# = db.models.CASE_STATUSES (config sits below db)
CASE_STATUSES = ("open", "forwarded", "answered", "resolved", "closed")
KINDS = ("info", "report", "emergency", "operator", "after_hours")
DEFAULT_OUTCOMES = (
    ("answered", "Đã giải đáp", "Answered"),
    ("report_taken", "Đã ghi nhận phản ánh", "Report taken"),
    ("transferred", "Đã chuyển cuộc gọi", "Call transferred"),
    ("call_back", "Cần gọi lại", "Needs a call back"),
    ("wrong_number", "Gọi nhầm", "Wrong number"),
    ("silent", "Không có tiếng", "Silent call"),
    ("nuisance", "Quấy rối", "Nuisance call"),
)


def read_labels(file: Path, name: str, items: Any, default: tuple[tuple[str, str, str], ...]) -> tuple[Label, ...]:
    """An array of {key, vi, en} tables, keys unique."""
    if items is None:
        return tuple(Label(*d) for d in default)
    if not isinstance(items, list):
        raise ConfigError(file, name, "must be an array of tables with key, vi and en")
    out: list[Label] = []
    for i, item in enumerate(items):
        t = Table(file, item if isinstance(item, dict) else {}, f"{name}[{i}].")
        label = Label(t.get("key", str, check=matches(_KEY, "a lower-case name")), t.get("vi", str), t.get("en", str))
        t.done()
        if label.key in {x.key for x in out}:
            raise t.fail("key", f"duplicate {label.key!r}")
        out.append(label)
    return tuple(out)


def read_desk(top: Table, areas: tuple[Label, ...]) -> DeskSettings:
    d = top.table("desk")
    outcomes = read_labels(top.file, "desk.outcomes", d.data.get("outcomes"), DEFAULT_OUTCOMES)
    d.seen.add("outcomes")
    required_only = d.get("outcome_required", bool, True)
    if required_only and not outcomes:
        raise d.fail("outcome_required", "needs at least one [[desk.outcomes]]")
    r = d.table("required")
    required = []
    for kind in sorted(r.data):
        names = r.get(kind, list)
        if kind not in KINDS:
            raise r.fail(kind, f"unknown ticket kind (one of {', '.join(KINDS)})")
        for n in names:
            if n not in ENTRY_FIELDS:
                raise r.fail(kind, f"unknown entry field {n!r} (one of {', '.join(ENTRY_FIELDS)})")
        if "area" in names and not areas:
            raise r.fail(kind, "requires an area, but the site lists no [[areas]]")
        required.append((kind, tuple(names)))
    s = d.table("status_after_call")
    after = []
    for kind in sorted(s.data):
        status = s.get(kind, str, check=lambda v: None if v in CASE_STATUSES else
                       f"must be one of {', '.join(CASE_STATUSES)}")
        if kind not in KINDS:
            raise s.fail(kind, f"unknown ticket kind (one of {', '.join(KINDS)})")
        after.append((kind, status))
    d.done()
    return DeskSettings(outcomes, required_only, tuple(required),
                        tuple(after) if s.data else DeskSettings().status_after_call)


def read_wallboard(top: Table) -> WallboardSettings:
    w = top.table("wallboard")

    def fraction(name: str, default: float) -> float:
        return float(w.get(name, float, default, lambda v: None if 0 <= v <= 1 else "must be a fraction from 0 to 1"))

    out = WallboardSettings(
        w.get("waiting_amber", int, 3, between(1, 1000)), w.get("waiting_red", int, 6, between(1, 1000)),
        w.get("wait_amber_s", int, 60, between(1, 3600)), w.get("wait_red_s", int, 120, between(1, 3600)),
        fraction("service_level_amber", 0.8), fraction("service_level_red", 0.6),
        fraction("abandoned_amber", 0.05), fraction("abandoned_red", 0.1))
    for low, high in (("waiting_amber", "waiting_red"), ("wait_amber_s", "wait_red_s"),
                      ("abandoned_amber", "abandoned_red")):
        if getattr(out, high) < getattr(out, low):
            raise w.fail(high, f"must not be below wallboard.{low}")
    if out.service_level_red > out.service_level_amber:
        raise w.fail("service_level_red", "must not be above wallboard.service_level_amber")
    w.done()
    return out
