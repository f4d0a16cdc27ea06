"""A year of a province's hotline for the public portal's benchmark (bench/public.py): calls and
their tickets spread over the last 12 months, part of them forwarded to the demo agencies (answered
on time, late, refused, waiting for review, still open, some past their deadline), each forward
with the events the public history is told from. Written in bulk with the db package's models, as
the tests seed their cases; random but the same every run (a fixed seed)."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from agencies.forwarding import AssignmentState, ticket_status
from config import Site
from db.agency_models import Assignment
from db.clock import utcnow
from db.models import Call, Ticket, TicketEvent
from db.queries import agencies as stored_agencies
from db.types import Database

# who a field's reports usually go to in the demo site (the routing rules give about this)
AGENCY_OF = {"traffic": "so_gtvt", "transport": "so_gtvt", "water": "dawaco", "drainage": "so_xay_dung",
             "trees": "cay_xanh", "lighting": "so_xay_dung", "electricity": "dien_luc", "telecom": "vnpt",
             "environment": "so_tnmt", "urban_order": "ubnd_hai_chau", "admin": "trung_tam_hcc"}
WARD_AGENCY = {"hai_chau": "ubnd_hai_chau", "son_tra": "ubnd_son_tra"}
BATCH = 500


@dataclass(frozen=True)
class Seeded:
    tickets: int
    assignments: int
    lookups: list[tuple[str, str]]  # (code, last 3 digits of the reporting number) of the forwarded cases


def _fate(rng: random.Random, created: datetime, deadline: datetime, now: datetime) -> dict[str, object]:
    """What became of one forward: mostly answered and approved (some late), a few refused,
    waiting for review or still with the agency (past the deadline for some)."""
    roll = rng.random()
    if roll < 0.06 and deadline > now - timedelta(days=40):
        return {"processing": "in_progress"}  # still with the agency, overdue when the deadline is past
    if roll < 0.10:
        answered = created + (deadline - created) * rng.uniform(0.2, 0.9)
        return {"processing": "answered", "review": "pending", "answer": "Đã xử lý, chờ 1022 duyệt.",
                "answered_at": min(answered, now)}
    if roll < 0.14:
        return {"processing": "rejected", "reason": "Không thuộc thẩm quyền.",
                "answered_at": min(created + timedelta(hours=rng.randint(2, 48)), now)}
    late = rng.random() < 0.15
    answered = (deadline + timedelta(hours=rng.randint(2, 96)) if late
                else created + (deadline - created) * rng.uniform(0.1, 0.95))
    answered = min(answered, now - timedelta(hours=2))
    reviewed = min(answered + timedelta(hours=rng.randint(1, 20)), now - timedelta(hours=1))
    return {"processing": "closed", "review": "approved", "answered_at": answered, "reviewed_at": reviewed,
            "closed_at": reviewed, "late": answered > deadline,
            "answer": "Đơn vị đã cử người kiểm tra và xử lý xong tại hiện trường; người dân xác nhận."}


def _events(a: Assignment, agency: str) -> list[tuple[datetime, str, dict[str, object]]]:
    out: list[tuple[datetime, str, dict[str, object]]] = [
        (a.created_at, "forward", {"agency": agency, "by": "lan", "deadline_at": a.deadline_at.isoformat() + "Z"})]
    if a.processing == "rejected" and a.answered_at:
        out.append((a.answered_at, "agency_rejected", {"agency": agency, "by": "canbo"}))
    elif a.answered_at:
        out.append((a.answered_at, "agency_answered", {"agency": agency, "by": "canbo"}))
    if a.review == "approved" and a.reviewed_at:
        out.append((a.reviewed_at, "review", {"agency": agency, "decision": "approve", "by": "hoa"}))
    return out


def seed(db: Database, site: Site, tickets: int = 5000, assignments: int = 3000, months: int = 12,
         rng_seed: int = 17) -> Seeded:
    """`tickets` calls' tickets over the last `months` months and `assignments` forwards among them
    (one agency each, a second one, the ward's, for about one in ten in the wards that have one)."""
    stored_agencies.sync(db, site.agencies)
    rng = random.Random(rng_seed)
    now = utcnow().replace(microsecond=0)
    span = timedelta(days=30 * months)
    fields = [f.key for f in site.fields]
    areas = [a.key for a in site.areas] or [None]
    agencies = {a.key for a in site.agencies.agencies}
    starts = sorted(now - span * rng.random() for _ in range(tickets))
    forwarded = set(rng.sample(range(tickets), min(tickets, assignments)))  # a few stay unforwarded: the cap
    per_day: dict[str, int] = {}
    lookups: list[tuple[str, str]] = []
    made = 0
    with Session(db) as s, s.begin():
        for first in range(0, tickets, BATCH):
            rows = []
            for n in range(first, min(first + BATCH, tickets)):
                at = starts[n]
                day = at.strftime("%y%m%d")
                per_day[day] = per_day.get(day, 0) + 1
                code = f"{site.hotline}-{day}-{per_day[day]:04d}"
                number = f"09{rng.randrange(10**8):08d}"
                call = Call(uniqueid=f"bench-{n}", caller_number=number, started_at=at, answered_at=at,
                            ended_at=at + timedelta(minutes=3), language="vi")
                field, area = rng.choice(fields), rng.choice(areas)
                ticket = Ticket(code=code, call=call, kind="report" if n in forwarded else "info", field=field,
                                area=area, status="closed", created_at=at, closed_at=at + timedelta(minutes=3),
                                summary=f"Phản ánh về {field} tại {area}.", agent=rng.choice(["101", "102", "103"]))
                rows.append((n, ticket, number))
            s.add_all([t for _, t, _ in rows])
            s.flush()
            for n, ticket, number in rows:
                if n not in forwarded or made >= assignments:
                    continue  # a report the agent closed, or information given on the call
                targets = [AGENCY_OF.get(ticket.field or "", "trung_tam_hcc")]
                extra = WARD_AGENCY.get(ticket.area or "")
                if extra and extra != targets[0] and rng.random() < 0.1 and made + 1 < assignments:
                    targets.append(extra)
                states = []
                for agency in (t for t in targets if t in agencies):
                    created = ticket.created_at + timedelta(minutes=rng.randint(10, 240))
                    deadline = created + timedelta(days=rng.choice((3, 5, 7, 10)))
                    a = Assignment(ticket_id=ticket.id, agency=agency, created_at=created, created_by="lan",
                                   delivery="sent", deadline_at=deadline, **_fate(rng, created, deadline, now))
                    s.add(a)
                    s.add_all(TicketEvent(ticket_id=ticket.id, at=when, kind=kind, detail=json.dumps(detail))
                              for when, kind, detail in _events(a, agency))
                    states.append(AssignmentState(a.processing, a.review))
                    made += 1
                status = ticket_status(states)
                if status:
                    ticket.status, ticket.closed_at = status, None
                    lookups.append((ticket.code, number[-3:]))
            s.flush()
    return Seeded(tickets, made, lookups)
