"""Notifications: the outbox that sends email (SMTP) and SMS (Kannel) and retries until they are sent.

Other packages put a notification in the outbox with `queue(db, ...)` (a row in `notifications`,
written by `db.queries.notifications.queue_notification`); the engine runs `Outbox(site, db).run()`,
which sends it, now if it runs in this process, else within its polling interval.
"""
from __future__ import annotations

from db.types import Database

from db.queries.notifications import NotificationError, queue_notification
from notify.outbox import Outbox, wake_all

__all__ = ["NotificationError", "Outbox", "queue"]


def queue(db: Database, *, purpose: str, channel: str, recipient: str, subject: str | None, body: str,
          ticket_id: int | None = None, assignment_id: int | None = None) -> int:
    """Queue one email or SMS (its id) and wake this process's outboxes to send it at once."""
    notification_id = queue_notification(db, purpose=purpose, channel=channel, recipient=recipient, subject=subject,
                                          body=body, ticket_id=ticket_id, assignment_id=assignment_id)
    wake_all()
    return notification_id
