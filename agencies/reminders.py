"""Reminders and escalation of an assignment: which step is due now, and what it says. Pure.

The steps are the share of the deadline's time that has passed, in the deadline's own units
(office time for working days and hours, the clock for hours around the clock:
agencies.deadlines.fraction_elapsed): 50 % and 80 % remind the agency's contacts, 100 % is
overdue (the agency's head is told and the ticket shows as overdue). `assignments.reminded`
holds the last step sent (0, 50, 80, 100), so no step goes out twice. When several steps are
reached at once (the engine was down), only the highest is sent: a "half the time has passed"
reminder for a case already overdue would mislead.
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from agencies.deadlines import fraction_elapsed, policy_for
from agencies.forwarding import SMS_LIMIT, Notice
from config import Site

STEPS = (50, 80, 100)
OVERDUE = 100


def step_reached(fraction: float, reminded: int) -> int | None:
    """The highest step `fraction` (0.0 .. 1.0 and beyond) has reached, if it is above the last
    step sent (`reminded`); else None."""
    reached = [s for s in STEPS if fraction * 100 >= s]
    if not reached or reached[-1] <= reminded:
        return None
    return reached[-1]


def _aware(site: Site, naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(site.timezone))


def step_due(site: Site, *, field: str | None, agency: str, created_at: datetime, deadline_at: datetime,
             now: datetime, reminded: int) -> int | None:
    """The step to send now for an assignment made at `created_at` falling due at `deadline_at`
    (both naive UTC, as stored), measured in the units of the policy for its field and agency."""
    deadline = policy_for(site.agencies, field or "", agency)
    fraction = fraction_elapsed(_aware(site, created_at), _aware(site, deadline_at), _aware(site, now), deadline,
                                site)
    return step_reached(fraction, reminded)


def step_notice(hotline: str, step: int, code: str, field: str, area: str, summary: str, deadline: str,
                agency: str) -> Notice:
    """The email and SMS of a reminder (50, 80) or of the overdue escalation (100), in Vietnamese
    (the agencies' language): the ticket code, the field, the area, the summary, the deadline
    and "{link}" for the contact's one-time link."""
    summary = " ".join(summary.split()) or "(chưa có nội dung)"
    if step >= OVERDUE:
        subject = f"[{hotline}] QUÁ HẠN: phiếu {code} ({field}, {area})"
        opening = (f"Phiếu {code} do tổng đài {hotline} chuyển đến {agency} đã QUÁ HẠN xử lý ({deadline}) "
                   f"mà chưa có trả lời. Đề nghị lãnh đạo đơn vị chỉ đạo xử lý ngay.")
        head = f"{hotline}: QUÁ HẠN phiếu {code} ({field}, {area}) hạn {deadline}: "
    else:
        subject = f"[{hotline}] Nhắc hạn ({step}%): phiếu {code} ({field}, {area})"
        opening = (f"Phiếu {code} do tổng đài {hotline} chuyển đến {agency} đã qua {step}% thời hạn xử lý "
                   f"mà chưa có trả lời. Hạn xử lý: {deadline}.")
        head = f"{hotline}: nhắc hạn {step}% phiếu {code} ({field}, {area}) hạn {deadline}: "
    email = (f"Kính gửi {agency},\n\n{opening}\n\nMã phiếu: {code}\nLĩnh vực: {field}\nKhu vực: {area}\n"
             f"Nội dung: {summary}\nHạn xử lý: {deadline}\n\nXem và trả lời tại (liên kết dùng một lần): {{link}}\n")
    tail = " Xem: {link}"
    room = SMS_LIMIT - len(head) - len(tail) + len("{link}") - 60  # the link itself is ~60 characters
    short = summary if len(summary) <= room else summary[:max(room - 1, 0)] + "…"
    return Notice(subject, email, head + short + tail)
