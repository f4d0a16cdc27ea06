"""Photos sent with a web report (migration 0010): each stored once under the data folder's
`photos/` with its metadata stripped; the EXIF location it had is kept here, internal. (The
citizen's contact and consent are columns of the ticket itself: contact_phone, contact_email,
consent.)"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base


class TicketPhoto(Base):
    __tablename__ = "ticket_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))  # relative to <data>/photos
    content_type: Mapped[str] = mapped_column(String(16))  # image/jpeg | image/png
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    gps: Mapped[str | None] = mapped_column(String(64))  # "lat,lon" as the camera wrote it
    created_at: Mapped[datetime]
