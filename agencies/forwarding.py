"""Forwarding a ticket to agencies: which agencies may receive it, the ticket's status that follows
from its assignments, when an answer was late, and what the notifications say. Pure: data in,
decisions out (db.queries.assignments writes them; web.forwarding asks).

The ticket's status from its assignments (`ticket_status`). An assignment counts unless it was
closed without an approved answer (rerouted after a rejection: the new one speaks for it):
- `forwarded`: at least one agency still has to act (in progress, asked for more time, rejected
  and not yet rerouted, or its answer returned by the supervisor);
- `answered`: every counting assignment has an answer and at least one waits for the
  supervisor's review (feedback pending);
- `resolved`: every counting assignment's answer was approved (the citizen's reply is queued);
- `closed` is never derived: it is set when the citizen has been told (the callback's end) or
  by hand. No counting assignment: None (the ticket keeps its own status).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agencies.routing import can_handle
from config.agency_settings import AgencyData

SMS_LIMIT = 320  # characters: Kannel splits a longer text into parts, and phones show a few at most


class ForwardRefused(ValueError):
    """A forward (or reroute) refused before anything is written. `code` names the reason for the
    page's catalog (forwarding.err_<code>); `agency` the agency concerned, if one."""

    def __init__(self, message: str, code: str, agency: str | None = None):
        super().__init__(message)
        self.code = code
        self.agency = agency


@dataclass(frozen=True)
class AssignmentState:
    processing: str  # in_progress | answered | rejected | extension_requested | closed
    review: str | None  # None | pending | approved | returned


def counts(a: AssignmentState) -> bool:
    """Closed without approval = replaced by a reroute: its successor speaks for the ticket."""
    return a.processing != "closed" or a.review == "approved"


def ticket_status(assignments: Sequence[AssignmentState]) -> str | None:
    live = [a for a in assignments if counts(a)]
    if not live:
        return None
    if all(a.processing == "closed" for a in live):
        return "resolved"
    if all(a.processing in ("answered", "closed") for a in live):
        return "answered"
    return "forwarded"


def check_targets(agencies: Mapping[str, AgencyData], keys: Sequence[str], field: str | None, area: str | None,
                  site_has_areas: bool, open_agencies: Sequence[str]) -> list[AgencyData]:
    """The agencies a ticket may be forwarded to, in the order asked (duplicates dropped), or
    ForwardRefused: no agency chosen, no field, no area (when the site has areas), an unknown or
    inactive agency, one that does not handle the field or cover the area, or one that already
    holds an open assignment of this ticket."""
    if not keys:
        raise ForwardRefused("choose at least one agency", "no_agencies")
    if not field:
        raise ForwardRefused("the ticket has no field yet", "no_field")
    if site_has_areas and not area:
        raise ForwardRefused("the ticket has no area yet: choose the ward / area first", "no_area")
    out: list[AgencyData] = []
    for key in dict.fromkeys(keys):
        agency = agencies.get(key)
        if agency is None:
            raise ForwardRefused(f"unknown agency {key!r}", "unknown_agency", key)
        if not can_handle(agency, field, area):
            raise ForwardRefused(f"agency {key!r} does not handle {field} in {area or 'this area'}",
                                 "not_their_field", key)
        if key in open_agencies:
            raise ForwardRefused(f"the ticket is already with agency {key!r}", "already_forwarded", key)
        out.append(agency)
    return out


@dataclass(frozen=True)
class Notice:
    """What the agency's contacts are told of a new assignment ("{link}" stands for the one-time link)."""
    subject: str
    email: str
    sms: str


def forward_notice(hotline: str, code: str, field: str, area: str, summary: str, note: str,
                   deadline: str, agency: str) -> Notice:
    """The email and SMS of a forward, in Vietnamese (the agencies' language): the ticket code,
    the field, the area, the summary, the deadline and the link."""
    summary = " ".join(summary.split()) or "(chưa có nội dung)"
    email = (f"Kính gửi {agency},\n\nTổng đài {hotline} chuyển đến quý cơ quan phản ánh sau để xử lý.\n\n"
             f"Mã phiếu: {code}\nLĩnh vực: {field}\nKhu vực: {area}\nNội dung: {summary}\n"
             + (f"Ghi chú của tổng đài: {note}\n" if note else "")
             + f"Hạn xử lý: {deadline}\n\nXem và trả lời tại (liên kết dùng một lần): {{link}}\n")
    head = f"{hotline}: phiếu {code} ({field}, {area}) hạn {deadline}: "
    tail = " Xem: {link}"
    room = SMS_LIMIT - len(head) - len(tail) + len("{link}") - 60  # the link itself is ~60 characters
    short = summary if len(summary) <= room else summary[:max(room - 1, 0)] + "…"
    return Notice(f"[{hotline}] Phiếu {code}: {field}, {area}", email, head + short + tail)


def reply_sms(hotline: str, code: str, answer: str) -> str:
    """The citizen's SMS when the answer is approved: the ticket code and a short answer."""
    head = f"{hotline} trả lời phản ánh {code}: "
    answer = " ".join(answer.split())
    room = SMS_LIMIT - len(head)
    return head + (answer if len(answer) <= room else answer[:room - 1] + "…")
