"""A case's status as the hotline says it on the phone (the IVR's "status of a request" option).

Two reads: the latest open case reported from the calling number (heard at once), and a case by
its code (keyed in). Both say whether the asking number is the one the case was reported from
(`own`), so the IVR can keep the agency and the answer to the citizen who reported; the number
itself never leaves this module. "Reported from" is the number of the case's call, or the contact
number a citizen gave with a report on the web (stored as national digits, 0905123456, whatever
form the caller's number arrives in: +84905123456, 84905123456 or 0905123456).

Open, for a caller: the ticket's status is not `closed` or `resolved` (as `caller_cases`), and
also not `in_call` (this very call, or another still on the line) nor `after_hours` (a call
that only heard the closed message and left no message): neither is a case to report on.
The agency and the deadline are those of the open assignment with the earliest deadline (as
the agent's screen-pop); a case with none left open names the agency that answered last.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.agency_models import Agency, Assignment
from db.models import Call, Ticket
from db.queries.assignments import WITH_AGENCY

NOT_A_CASE = ("closed", "resolved", "in_call", "after_hours")


class StatusUnavailable(RuntimeError):
    """The database could not be read: the caller is told so and put through to an operator."""


@dataclass(frozen=True)
class CaseStatus:
    code: str
    status: str
    field: str | None
    agency: str | None  # key of the agency handling it (or that answered last)
    agency_name: str | None
    deadline_at: datetime | None  # naive UTC, of the open assignment due first (None: nothing open)
    overdue: bool  # an agency still owes an answer past its deadline
    answered: bool  # an answer was approved by the supervisor
    own: bool  # asked from the number the case was reported from


def national_forms(numbers: Sequence[str]) -> tuple[str, ...]:
    """The national digits ('0905123456') of each Vietnamese form among `numbers` ('+84905123456',
    '84905123456', '0905123456'), as a web report's contact number is stored; other numbers
    (withheld, short, foreign) have none."""
    found: set[str] = set()
    for number in numbers:
        digits = number.strip()
        for prefix in ("+84", "84", "0"):
            if digits.startswith(prefix):
                rest = digits[len(prefix):]
                # after the 0: 9 digits (mobile) or 10 (fixed line with its area code), never a 0 again
                if rest.isdigit() and len(rest) in (9, 10) and not rest.startswith("0"):
                    found.add("0" + rest)
                break
    return tuple(sorted(found))


def _reported_from(numbers: Sequence[str]) -> ColumnElement[bool]:
    """The ticket came from one of `numbers`: its call's number, or the contact of a web report."""
    return or_(Call.caller_number.in_(list(numbers)), Ticket.contact_phone.in_(list(national_forms(numbers))))


def _status(s: Session, ticket: Ticket, numbers: Sequence[str], now: datetime) -> CaseStatus:
    rows = s.execute(select(Assignment.agency, Assignment.deadline_at, Assignment.processing, Assignment.review,
                            Assignment.answer, Agency.name)
                     .outerjoin(Agency, Agency.key == Assignment.agency)
                     .where(Assignment.ticket_id == ticket.id)
                     .order_by(Assignment.deadline_at, Assignment.id)).all()
    pending = [r for r in rows if r.processing != "closed"]
    approved = [r for r in rows if r.review == "approved" and r.answer]
    shown = pending[0] if pending else (approved[-1] if approved else (rows[-1] if rows else None))
    caller = s.scalar(select(Call.caller_number).where(Call.id == ticket.call_id)) if ticket.call_id else None
    return CaseStatus(
        code=ticket.code, status=ticket.status, field=ticket.field,
        agency=shown.agency if shown else None, agency_name=shown.name if shown else None,
        deadline_at=pending[0].deadline_at if pending else None,
        overdue=any(r.processing in WITH_AGENCY and r.deadline_at < now for r in pending),
        answered=bool(approved),
        own=(bool(caller) and caller in numbers) or (ticket.contact_phone or "") in national_forms(numbers))


def latest_open(db: Engine, numbers: Sequence[str], besides: str | None, now: datetime) -> CaseStatus | None:
    """The newest open case reported from any of `numbers` (the forms of one caller's number),
    leaving out the ticket `besides` (the call asking)."""
    if not numbers:
        return None
    try:
        return _latest_open(db, numbers, besides, now)
    except SQLAlchemyError as e:
        raise StatusUnavailable(str(e).splitlines()[0]) from e


def _latest_open(db: Engine, numbers: Sequence[str], besides: str | None, now: datetime) -> CaseStatus | None:
    with Session(db) as s:
        where: list[ColumnElement[bool]] = [_reported_from(numbers), Ticket.status.not_in(NOT_A_CASE)]
        if besides is not None:
            where.append(Ticket.code != besides)
        # outer: a web report has no call, only the contact number it was reported with
        ticket = s.scalar(select(Ticket).outerjoin(Call, Ticket.call_id == Call.id).where(*where)
                          .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1))
        return _status(s, ticket, numbers, now) if ticket is not None else None


def by_code(db: Engine, code: str, numbers: Sequence[str], now: datetime) -> CaseStatus | None:
    """The case of that code (any status), or None when there is none."""
    try:
        with Session(db) as s:
            ticket = s.scalar(select(Ticket).where(Ticket.code == code))
            return _status(s, ticket, numbers, now) if ticket is not None else None
    except SQLAlchemyError as e:
        raise StatusUnavailable(str(e).splitlines()[0]) from e
