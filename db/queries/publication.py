"""The supervisors' review of what the public list will show: the resolved cases with their
original texts and the public versions, and the two changes a supervisor makes (hide or show a
case; replace its public summary or an agency's public answer). Each change is written with an
audit row and a ticket event in one transaction; the ticket's and the assignments' own texts are
never touched."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.models import Audit, Call, Ticket, TicketEvent
from db.publication_models import Publication
from db.queries.public_cases import DONE, approved_answers, resolved_at

MAX_TEXT = 4000


class PublicationError(ValueError):
    """A change refused: `code` is not_found (no such ticket), not_resolved (nothing to publish
    yet), unknown_answer (no approved answer with that id on this ticket) or too_long."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ReviewAnswer:
    assignment_id: int
    agency: str
    agency_name: str | None
    original: str
    public: str | None  # the supervisor's version, None: the original (redacted when shown)


@dataclass(frozen=True)
class ReviewCase:
    code: str
    field: str | None
    area: str | None
    received_at: datetime
    resolved_at: datetime
    summary: str
    public_summary: str | None
    hidden: bool
    names: tuple[str, ...]  # to redact the texts with (staff see them on the ticket anyway)
    answers: tuple[ReviewAnswer, ...]
    updated_by: str | None
    updated_at: datetime | None


def resolved(db: Engine, limit: int = 50, offset: int = 0) -> tuple[int, list[ReviewCase]]:
    """(how many, the cases from `offset`), the latest resolved first: public or not yet, hidden or not."""
    done = resolved_at().subquery()
    base = (select(Ticket.id, Ticket.code, Ticket.field, Ticket.area, Ticket.created_at, done.c.resolved_at,
                   Ticket.summary, Ticket.caller_name, Call.caller_name, Publication)
            .join(done, done.c.ticket_id == Ticket.id)
            .outerjoin(Call, Call.id == Ticket.call_id)
            .outerjoin(Publication, Publication.ticket_id == Ticket.id)
            .where(Ticket.status.in_(DONE)))
    with Session(db) as s:
        total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = s.execute(base.order_by(done.c.resolved_at.desc(), Ticket.id.desc()).limit(limit).offset(offset)).all()
        answers = approved_answers(s, [r[0] for r in rows])
    out = []
    for ticket_id, code, field, area, received, resolved_time, summary, name, caller_id, pub in rows:
        replaced = json.loads(pub.answers) if pub is not None else {}
        out.append(ReviewCase(
            code, field, area, received, resolved_time, summary or "", pub.summary if pub else None,
            bool(pub and pub.hidden), tuple(n for n in (name, caller_id) if n and n.strip()),
            tuple(ReviewAnswer(aid, agency, agency_name, text, replaced.get(str(aid)))
                  for aid, agency, agency_name, text in answers.get(ticket_id, [])),
            pub.updated_by if pub else None, pub.updated_at if pub else None))
    return total, out


def _case(s: Session, code: str, by: str, at: datetime) -> tuple[Ticket, Publication]:
    ticket = s.scalar(select(Ticket).where(Ticket.code == code))
    if ticket is None:
        raise PublicationError(f"no ticket {code}", "not_found")
    if ticket.status not in DONE or not approved_answers(s, [ticket.id]):
        raise PublicationError(f"ticket {code} is not resolved: nothing is published yet", "not_resolved")
    pub = s.scalar(select(Publication).where(Publication.ticket_id == ticket.id))
    if pub is None:
        # added with the first change (_record): a look that changes nothing writes nothing
        pub = Publication(ticket_id=ticket.id, hidden=False, summary=None, answers="{}", updated_at=at, updated_by=by)
    pub.updated_at, pub.updated_by = at, by
    return ticket, pub


def _record(s: Session, ticket: Ticket, pub: Publication, by: str, at: datetime, action: str,
            detail: dict[str, Any]) -> None:
    """The change, its audit row and the ticket's event (the timeline tells who and when)."""
    s.add(pub)
    text = json.dumps(detail, ensure_ascii=False)
    s.add(Audit(at=at, actor=by, action=action, target=ticket.code, call=None, detail=text))
    s.add(TicketEvent(ticket_id=ticket.id, at=at, kind="publication",
                      detail=json.dumps({"by": by, "change": action, **detail}, ensure_ascii=False)))


def set_hidden(db: Engine, code: str, hidden: bool, by: str, at: datetime) -> bool:
    """Hide the case from the public list or show it again; False when it already was so."""
    with Session(db) as s, s.begin():
        ticket, pub = _case(s, code, by, at)
        if pub.hidden == hidden:
            return False
        pub.hidden = hidden
        _record(s, ticket, pub, by, at, "publication_hide" if hidden else "publication_show", {})
        return True


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    if len(text) > MAX_TEXT:
        raise PublicationError(f"at most {MAX_TEXT} characters", "too_long")
    return text.strip()


def set_texts(db: Engine, code: str, by: str, at: datetime, summary: str | None = None,
              answers: dict[int, str | None] | None = None, reset_summary: bool = False) -> list[str]:
    """Replace the public summary and/or agencies' public answers (assignment id -> text; None or
    "" goes back to the original). What changed ('summary', 'answer <id>'), audited with the
    public texts before and after (the originals stay on the ticket, so they are not copied)."""
    with Session(db) as s, s.begin():
        ticket, pub = _case(s, code, by, at)
        changed: list[str] = []
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if summary is not None or reset_summary:
            new = _clean(summary) or None
            if new != pub.summary:
                before["summary"], after["summary"] = pub.summary, new
                pub.summary = new
                changed.append("summary")
        if answers:
            allowed = {aid for aid, *_ in approved_answers(s, [ticket.id]).get(ticket.id, [])}
            replaced: dict[str, str] = json.loads(pub.answers or "{}")
            for aid, text in answers.items():
                if aid not in allowed:
                    raise PublicationError(f"no approved answer {aid} on ticket {code}", "unknown_answer")
                new = _clean(text) or None
                if new != replaced.get(str(aid)):
                    before[f"answer {aid}"], after[f"answer {aid}"] = replaced.get(str(aid)), new
                    if new is None:
                        replaced.pop(str(aid), None)
                    else:
                        replaced[str(aid)] = new
                    changed.append(f"answer {aid}")
            pub.answers = json.dumps(replaced, ensure_ascii=False)
        if changed:
            _record(s, ticket, pub, by, at, "publication_text", {"changed": changed, "before": before, "after": after})
        return changed
