"""What a supervisor decided about a resolved case before the public sees it (migration 0009):
hidden from the public list, or its public texts (the summary, each agency's answer) replaced by
a version they wrote. The ticket and the assignments keep the originals; this row is only what
is published instead. No row: the case is published as it stands (redacted automatically)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base


class Publication(Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    hidden: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str | None] = mapped_column(Text)  # the public summary, None: the ticket's own
    answers: Mapped[str] = mapped_column(Text, default="{}")  # JSON {assignment id: public answer}
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
