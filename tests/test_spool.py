"""The writer's spool: every typed operation survives a round trip, and a spool left by the
previous (untyped) version is still replayed."""
from __future__ import annotations

import json
from datetime import datetime

from db import operations as ops
from db.spool import dumps, loads, read_spool

AT = datetime(2026, 12, 3, 9, 30, 15, 123456)
EVERY = [
    ops.OpenTicket("1022-261203-0001", AT, "17.1", "0905123456", "Lan", "PJSIP/trunk-1", "1022", "17.1", "vi"),
    ops.AddEvent("1022-261203-0001", AT, "menu", {"menu": "main", "digit": "3"}),
    ops.SetTicket("1022-261203-0001", AT, {"kind": "emergency", "queue_joined_at": AT, "priority": 1}),
    ops.CloseTicket("1022-261203-0001", AT, "closed"),
    ops.SetCall("1022-261203-0001", AT, {"ended_at": AT, "hangup_cause": "16 Normal Clearing"}),
    ops.AgentInterval("101", "paused", "lunch", AT),
    ops.AuditStart("k1", AT, "supervisor201", "listen", "101", "17.1", {"via": "phone"}),
    ops.AuditEnd("k1", AT),
    ops.AuditEndBy("supervisor201", ("listen", "barge"), AT),
    ops.AddRecording("1022-261203-0001", AT, "call", "2026/12/03/x.wav", "ab" * 32, 1044, 10.5, None),
    ops.AddCallback("1022-261203-0001", AT, "0905123456", "vi", AT, "operator"),
]


def test_every_operation_round_trips_with_its_types():
    for op in EVERY:
        back = loads(dumps(op))
        assert back == op, op
    assert isinstance(loads(dumps(EVERY[2])).values["queue_joined_at"], datetime)  # type: ignore[attr-defined]


def test_a_spool_of_the_untyped_version_is_replayed(tmp_path):
    spool = tmp_path / "pending.jsonl"
    lines = [
        {"kind": "create", "code": "1022-261203-0002", "at": AT.isoformat(),
         "data": {"uniqueid": "18.1", "caller_number": "0905", "caller_name": "", "channel": "c", "dnid": "1022",
                  "linkedid": "", "language": "vi"}},
        {"kind": "update", "code": "1022-261203-0002", "at": AT.isoformat(),
         "data": {"status": "closed", "closed_at": AT.isoformat(), "_unless_set": True}},
        {"kind": "call", "code": "1022-261203-0002", "at": AT.isoformat(), "data": {"ended_at": AT.isoformat()}},
    ]
    spool.write_text("".join(json.dumps(line) + "\n" for line in lines))
    opened, closed, call = read_spool(spool)
    assert isinstance(opened, ops.OpenTicket) and opened.replayed
    assert closed == ops.CloseTicket("1022-261203-0002", AT, "closed")
    assert call == ops.SetCall("1022-261203-0002", AT, {"ended_at": AT})
