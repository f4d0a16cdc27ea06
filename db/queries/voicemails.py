"""Voicemails the citizens left, as the callback worker's page links them."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Recording, Ticket


def voicemail_ids(db: Engine, ticket_codes: Iterable[str]) -> dict[str, int]:
    """Ticket code -> the id of its voicemail recording, for those of these tickets whose voicemail
    is still stored (a purged one cannot be played)."""
    with Session(db) as s:
        rows = s.execute(select(Ticket.code, Recording.id).join(Recording, Recording.ticket_id == Ticket.id)
                         .where(Ticket.code.in_(list(ticket_codes)), Recording.kind == "voicemail",
                                Recording.status != "purged")).all()
    return {code: recording_id for code, recording_id in rows}
