"""The resolved cases as the public list may show them: field, area, dates, each agency and its
approved answer, with the supervisor's public texts in place of the originals where they wrote
some, and none a supervisor hid. The list's query selects no personal column (no caller's name,
number, email or address, no recording): what it returns is all a public page can get.

A case is resolved when every agency that counts gave an approved answer (the ticket's status is
`resolved`, or `closed` once the citizen was told); it is resolved at its last approval, and
public `publish_after` later (the supervisors' time to review it).

`names_to_hide` is the one read of names here: the redaction needs them to take them out of the
texts; they are never shown.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from db.agency_models import Agency, Assignment
from db.models import Call, Ticket
from db.publication_models import Publication

DONE = ("resolved", "closed")
PAGE_SIZE = 20


@dataclass(frozen=True)
class PublicAnswer:
    agency: str  # key
    agency_name: str | None  # as stored in the books (None: only in the site file)
    text: str  # the supervisor's public version, else the approved answer (to be redacted)


@dataclass(frozen=True)
class PublicCase:
    ticket_id: int  # to look up the names to hide and the public texts; never shown
    field: str | None
    area: str | None
    received_at: datetime  # naive UTC
    resolved_at: datetime
    summary: str  # the supervisor's public version, else the ticket's (to be redacted)
    answers: tuple[PublicAnswer, ...]


def resolved_at() -> Select[int, datetime | None]:
    """(ticket_id, resolved_at) of every ticket with an approved answer: its last approval."""
    return (select(Assignment.ticket_id.label("ticket_id"), func.max(Assignment.closed_at).label("resolved_at"))
            .where(Assignment.review == "approved", Assignment.processing == "closed")
            .group_by(Assignment.ticket_id))


def approved_answers(s: Session, ticket_ids: list[int]) -> dict[int, list[tuple[int, str, str | None, str]]]:
    """Per ticket: (assignment id, agency key, agency's stored name, answer) of each approved one."""
    out: dict[int, list[tuple[int, str, str | None, str]]] = {}
    rows = s.execute(select(Assignment.ticket_id, Assignment.id, Assignment.agency, Agency.name, Assignment.answer)
                     .outerjoin(Agency, Agency.key == Assignment.agency)
                     .where(Assignment.ticket_id.in_(ticket_ids), Assignment.review == "approved",
                            Assignment.processing == "closed")
                     .order_by(Assignment.closed_at, Assignment.id))
    for ticket_id, assignment_id, agency, name, answer in rows:
        out.setdefault(ticket_id, []).append((assignment_id, agency, name, answer or ""))
    return out


def _public(now: datetime, publish_after: timedelta) -> Select[Any]:
    done = resolved_at().subquery()
    return (select(Ticket.id, Ticket.field, Ticket.area, Ticket.created_at, done.c.resolved_at, Ticket.summary,
                   Publication.summary, Publication.answers)
            .join(done, done.c.ticket_id == Ticket.id)
            .outerjoin(Publication, Publication.ticket_id == Ticket.id)
            .where(Ticket.status.in_(DONE), done.c.resolved_at <= now - publish_after,
                   (Publication.hidden.is_(None)) | (Publication.hidden.is_(False))))


def count(db: Engine, now: datetime, publish_after: timedelta) -> int:
    with Session(db) as s:
        return s.scalar(select(func.count()).select_from(_public(now, publish_after).subquery())) or 0


def page(db: Engine, now: datetime, publish_after: timedelta, number: int = 1,
         size: int = PAGE_SIZE) -> list[PublicCase]:
    """Page `number` (from 1) of the public cases, the latest resolved first."""
    with Session(db) as s:
        stmt = _public(now, publish_after)
        latest = stmt.selected_columns[4]  # resolved_at
        rows = s.execute(stmt.order_by(latest.desc(), Ticket.id.desc()).limit(size)
                         .offset((max(number, 1) - 1) * size)).all()
        answers = approved_answers(s, [r[0] for r in rows])
    out = []
    for ticket_id, field, area, received, resolved, summary, public_summary, public_answers in rows:
        replaced = json.loads(public_answers) if public_answers else {}
        out.append(PublicCase(ticket_id, field, area, received, resolved,
                              public_summary if public_summary is not None else summary or "",
                              tuple(PublicAnswer(agency, name, replaced.get(str(aid), text))
                                    for aid, agency, name, text in answers.get(ticket_id, []))))
    return out


def names_to_hide(db: Engine, ticket_ids: list[int]) -> dict[int, list[str]]:
    """The names each ticket's texts must not show: the one the agent recorded and the caller ID's."""
    out: dict[int, list[str]] = {i: [] for i in ticket_ids}
    with Session(db) as s:
        for ticket_id, recorded, caller_id in s.execute(
                select(Ticket.id, Ticket.caller_name, Call.caller_name).outerjoin(Call, Call.id == Ticket.call_id)
                .where(Ticket.id.in_(ticket_ids))):
            out[ticket_id] += [n for n in (recorded, caller_id) if n and n.strip()]
    return out
