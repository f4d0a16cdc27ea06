"""The writer's spool file: operations still unwritten at shutdown, replayed at the next start.

One JSON line per operation: {"op": "AddEvent", "fields": {...}}, datetimes tagged as
{"$datetime": "..."}; nothing is guessed from a key's name. A spool left by the version
before typed operations ({"kind": ..., "code": ..., "at": ..., "data": ...}) is still read.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from db import operations as ops

log = logging.getLogger("tongdai.tickets")


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(op: ops.Operation) -> str:
    values = {f.name: getattr(op, f.name) for f in dataclasses.fields(op)}  # type: ignore[arg-type]
    return json.dumps({"op": type(op).__name__, "fields": _encode(values)}, ensure_ascii=False)


def loads(line: str) -> ops.Operation:
    raw = json.loads(line)
    if "op" not in raw:
        return _legacy(raw)
    cls = ops.Operation.kinds[raw["op"]]
    values = _decode(raw["fields"])
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if isinstance(values.get(f.name), list):
            values[f.name] = tuple(values[f.name])
    return cls(**values)


def _when(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else value


def _legacy(raw: dict[str, Any]) -> ops.Operation:
    """The untyped spool of the previous version: its `_at` keys held ISO strings."""
    kind, code, at, d = raw["kind"], raw["code"], datetime.fromisoformat(raw["at"]), raw.get("data") or {}
    times = {k: (_when(v) if k.endswith("_at") else v) for k, v in d.items() if k != "_unless_set"}
    if kind == "create":
        return ops.OpenTicket(code, at, d["uniqueid"], d["caller_number"], d["caller_name"], d.get("channel", ""),
                              d.get("dnid", ""), d.get("linkedid", ""), d.get("language", "vi"), replayed=True)
    if kind == "event":
        return ops.AddEvent(code, at, d["kind"], d.get("detail"))
    if kind == "update" and d.get("_unless_set"):
        return ops.CloseTicket(code, at, d["status"])
    if kind == "update":
        return ops.SetTicket(code, at, times)
    if kind == "call":
        return ops.SetCall(code, at, times)
    if kind == "agent":
        return ops.AgentInterval(d["agent"], d["state"], d.get("reason"), at)
    if kind == "audit":
        return ops.AuditStart(code, at, d["actor"], d["action"], d.get("target"), d.get("call"), d.get("detail"))
    if kind == "audit_end":
        return ops.AuditEnd(code, at)
    if kind == "audit_end_by":
        return ops.AuditEndBy(code, tuple(d["actions"]), at)
    if kind == "recording":
        return ops.AddRecording(code, at, d["kind"], d["path"], d.get("sha256"), d["bytes"], d.get("duration_s"),
                                d.get("flag"))
    if kind == "callback":
        return ops.AddCallback(code, at, d["number"], d["language"], datetime.fromisoformat(d["due_at"]),
                               d.get("queue"))
    raise ValueError(f"unknown spooled operation {kind!r}")


def read_spool(path: Path) -> list[ops.Operation]:
    """The spooled operations; a ticket they open may have landed already: opened idempotently."""
    out: list[ops.Operation] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        op = loads(line)
        if isinstance(op, ops.OpenTicket):
            op = dataclasses.replace(op, replayed=True)
        out.append(op)
    return out


def write_spool(path: Path, pending: list[ops.Operation]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.writelines(dumps(op) + "\n" for op in pending)
    log.error("database unavailable: %d ticket operations kept in %s for the next start", len(pending), path)
