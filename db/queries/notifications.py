"""Notifications in the books: the outbox of email and SMS, each a row retried until it is sent.

A notification is `queued` until it is `sent`; it is `failed` only when the server refused it for
good (a 5xx for that recipient, an HTTP 4xx for that number), and the row says why. Claiming is a
lease, not a state: one conditional UPDATE moves `next_try_at` past the send's time, so of
several senders exactly one takes a row, and a sender that dies mid-send leaves the row to be
tried again when the lease ends (at worst sent twice, never lost).

A notification about a ticket tells the ticket's timeline, in the transaction that changes its
state: "notify_sent" (to whom, by which channel, after how many attempts), "notify_failed" (refused
for good, and why) and "notify_retry" at its first failed try (why, and when it is tried again;
later tries are not each written, or an outage would fill the timeline: the sent or failed event
counts them).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.agency_models import AgencyContact, Assignment, Notification
from db.clock import utcnow
from db.models import TicketEvent

CHANNELS = ("email", "sms")
STATES = ("queued", "sent", "failed")
_ERROR_LEN = 255  # notifications.last_error


class NotificationError(ValueError):
    """A notification that cannot be queued as asked (unknown channel, empty recipient or body)."""


@dataclass(frozen=True)
class NotificationView:
    id: int
    created_at: datetime
    ticket_id: int | None
    assignment_id: int | None
    purpose: str
    channel: str
    recipient: str
    subject: str | None
    body: str
    state: str
    attempts: int
    last_error: str | None
    next_try_at: datetime
    sent_at: datetime | None


def _view(n: Notification) -> NotificationView:
    return NotificationView(n.id, n.created_at, n.ticket_id, n.assignment_id, n.purpose, n.channel, n.recipient,
                            n.subject, n.body, n.state, n.attempts, n.last_error, n.next_try_at, n.sent_at)


def queue_notification(db: Engine, *, purpose: str, channel: str, recipient: str, subject: str | None, body: str,
                       ticket_id: int | None = None, assignment_id: int | None = None,
                       now: datetime | None = None) -> int:
    """Put one email or SMS in the outbox, due at once; returns its id. The outbox sends it."""
    if channel not in CHANNELS:
        raise NotificationError(f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
    recipient = recipient.strip()
    if not recipient:
        raise NotificationError(f"a {channel} notification needs a recipient")
    if channel == "email" and "@" not in recipient:
        raise NotificationError(f"not an email address: {recipient!r}")
    if not body.strip():
        raise NotificationError("a notification needs a body")
    at = now or utcnow()
    with Session(db) as s, s.begin():
        row = Notification(created_at=at, ticket_id=ticket_id, assignment_id=assignment_id, purpose=purpose,
                           channel=channel, recipient=recipient, subject=subject, body=body, state="queued",
                           attempts=0, next_try_at=at)
        s.add(row)
        s.flush()
        return row.id


def claim_due(db: Engine, now: datetime, lease: timedelta, channels: tuple[str, ...] = CHANNELS,
              limit: int = 20) -> list[NotificationView]:
    """Queued notifications due by `now` on these channels, oldest first, each taken for `lease`
    (its next_try_at moved to now + lease by a conditional UPDATE only one claimer can win)."""
    with Session(db) as s:
        due = s.execute(select(Notification.id, Notification.next_try_at)
                        .where(Notification.state == "queued", Notification.next_try_at <= now,
                               Notification.channel.in_(channels))
                        .order_by(Notification.next_try_at, Notification.id).limit(limit)).all()
    taken: list[NotificationView] = []
    for nid, was in due:
        with Session(db) as s, s.begin():
            done = s.execute(update(Notification)
                             .where(Notification.id == nid, Notification.state == "queued",
                                    Notification.next_try_at == was)
                             .values(next_try_at=now + lease))
            if int(getattr(done, "rowcount", 0)) == 1:
                row = s.get(Notification, nid)
                if row is not None:
                    taken.append(_view(row))
    return taken


def _settle(db: Engine, notification_id: int, event: str | None, at: datetime, **values: Any) -> None:
    with Session(db) as s, s.begin():
        done = s.execute(update(Notification).where(Notification.id == notification_id, Notification.state == "queued")
                         .values(**values).execution_options(synchronize_session=False))
        if int(getattr(done, "rowcount", 0)) != 1:
            return  # already settled (by another sender): nothing to tell twice
        if values.get("state") in ("sent", "failed"):
            _deliver(s, notification_id)
        if event is not None:
            _tell(s, notification_id, event, at)


def _tell(s: Session, notification_id: int, kind: str, at: datetime) -> None:
    """The ticket's event for a notification's new state: the contact's name and agency when the
    recipient is one of the assignment's agency's contacts."""
    n = s.scalars(select(Notification).where(Notification.id == notification_id)
                  .execution_options(populate_existing=True)).one()
    if n.ticket_id is None or (kind == "notify_retry" and n.attempts != 1):
        return
    agency = s.scalar(select(Assignment.agency).where(Assignment.id == n.assignment_id)) \
        if n.assignment_id is not None else None
    contact = s.scalar(select(AgencyContact.name).where(
        AgencyContact.agency == agency,
        (AgencyContact.email if n.channel == "email" else AgencyContact.mobile) == n.recipient)
        .order_by(AgencyContact.id).limit(1)) if agency else None
    detail: dict[str, Any] = {"notification": n.id, "assignment": n.assignment_id, "agency": agency,
                              "contact": contact, "purpose": n.purpose, "channel": n.channel,
                              "recipient": n.recipient, "attempts": n.attempts}
    if kind != "notify_sent":
        detail["error"] = n.last_error
    if kind == "notify_retry":
        detail["next_try_at"] = n.next_try_at.isoformat() + "Z"
    s.add(TicketEvent(ticket_id=n.ticket_id, at=at, kind=kind, detail=json.dumps(detail, ensure_ascii=False)))


def _deliver(s: Session, notification_id: int) -> None:
    """An assignment is `sent` once one of its notifications went out, `failed` when every one was
    refused for good (with the last reason); acknowledged ones stay so."""
    assignment_id = s.scalar(select(Notification.assignment_id).where(Notification.id == notification_id))
    if assignment_id is None:
        return
    states = s.execute(select(Notification.state, Notification.last_error)
                       .where(Notification.assignment_id == assignment_id)).all()
    open_ = Assignment.delivery.in_(("queued", "failed"))
    if any(state == "sent" for state, _ in states):
        s.execute(update(Assignment).where(Assignment.id == assignment_id, open_)
                  .values(delivery="sent", delivery_reason=None))
    elif states and all(state == "failed" for state, _ in states):
        s.execute(update(Assignment).where(Assignment.id == assignment_id, open_)
                  .values(delivery="failed", delivery_reason=(states[-1][1] or "")[:255]))


def mark_sent(db: Engine, notification_id: int, now: datetime) -> None:
    _settle(db, notification_id, "notify_sent", now, state="sent", sent_at=now, attempts=Notification.attempts + 1,
            last_error=None)


def mark_retry(db: Engine, notification_id: int, error: str, next_try_at: datetime,
               now: datetime | None = None) -> None:
    """A send that failed for now (server down, 4xx): still queued, one more attempt counted."""
    _settle(db, notification_id, "notify_retry", now or utcnow(), attempts=Notification.attempts + 1,
            last_error=error[:_ERROR_LEN], next_try_at=next_try_at)


def mark_waiting(db: Engine, notification_id: int, error: str, next_try_at: datetime) -> None:
    """Not tried (its channel is not configured): still queued, no attempt counted."""
    _settle(db, notification_id, None, next_try_at, last_error=error[:_ERROR_LEN], next_try_at=next_try_at)


def mark_failed(db: Engine, notification_id: int, error: str, now: datetime) -> None:
    """Refused for good by the server: it will not be tried again; `error` says why."""
    _settle(db, notification_id, "notify_failed", now, state="failed", attempts=Notification.attempts + 1,
            last_error=error[:_ERROR_LEN], next_try_at=now)


def _listing(db: Engine, *where: Any) -> list[NotificationView]:
    with Session(db) as s:
        return [_view(n) for n in s.scalars(select(Notification).where(*where)
                                            .order_by(Notification.created_at, Notification.id))]


def for_ticket(db: Engine, ticket_id: int) -> list[NotificationView]:
    """Every notification about a ticket (its assignments' included), oldest first."""
    return _listing(db, Notification.ticket_id == ticket_id)


def for_assignment(db: Engine, assignment_id: int) -> list[NotificationView]:
    return _listing(db, Notification.assignment_id == assignment_id)


def view(db: Engine, notification_id: int) -> NotificationView | None:
    return next(iter(_listing(db, Notification.id == notification_id)), None)


def waiting(db: Engine) -> list[NotificationView]:
    """Every notification not yet sent (queued), oldest first: what an outage holds back."""
    return _listing(db, Notification.state == "queued")
