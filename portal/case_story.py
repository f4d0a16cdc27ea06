"""A citizen's case told in public words: what the lookup form accepts (the ticket code with or
without dashes and spaces, then 3 digits or an email), the case's status in words, and its history
as plain sentences (received; forwarded to an agency with a deadline; the agency's answer; 1022's
approval; resolved; closed), in Vietnamese or English.

Pure: a `PublicCase` and a gettext function in, strings out. The sentences are the catalog's
(portal/catalogs/vi/lookup.po, English message ids); the free text shown (the approved answers)
goes through the `redact` function the caller passes.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from config import Site
from config.local_time import show
from db.queries.case_lookup import Proof, PublicCase, Step

Translate = Callable[[str], str]
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

STATUS = {  # the ticket's status as the citizen reads it
    "in_call": "Received",
    "new": "Received: waiting for %(hotline)s to check it",  # a web report before an agent's triage
    "open": "Received: %(hotline)s is handling it",
    "forwarded": "With the agency in charge",
    "answered": "The agency has answered; %(hotline)s is checking the answer",
    "resolved": "Resolved",
    "closed": "Closed",
    "callback_pending": "%(hotline)s will call you back",
    "unreachable": "Closed: %(hotline)s could not reach you by phone",
    "after_hours": "Received outside office hours",
}
SENTENCES = {
    "received_phone": "Received by the hotline.",
    "received_web": "Received from the website.",
    "forwarded": "Forwarded to %(agency)s, to be answered by %(due)s.",
    "extended": "%(agency)s was given more time, until %(due)s.",
    "answered": "%(agency)s sent its answer.",
    "declined": "%(agency)s said the case is outside its remit; %(hotline)s is sending it to the agency in charge.",
    "returned": "%(hotline)s asked %(agency)s to complete its answer.",
    "approved": "%(hotline)s approved the answer of %(agency)s.",
    "resolved": "The case is resolved.",
    "closed": "The case is closed.",
}


@dataclass(frozen=True)
class Line:
    when: str  # dd/mm/yyyy HH:MM at the site
    text: str


@dataclass(frozen=True)
class ShownAnswer:
    agency: str
    when: str
    text: str  # redacted


@dataclass(frozen=True)
class CaseView:
    code: str
    field: str
    area: str
    received: str
    status: str
    deadline: str  # "" when no agency holds it
    overdue: bool
    history: tuple[Line, ...]
    answers: tuple[ShownAnswer, ...]


def normal_code(text: str, hotline: str) -> str | None:
    """'1022-261203-4701', '1022 261203 4701' or '10222612034701' -> '1022-261203-4701'; None for
    anything that cannot be a ticket code of this hotline (hotline, yymmdd, number)."""
    digits = re.sub(r"[\s\-.]", "", text or "")
    if not digits.isdigit() or not digits.startswith(hotline) or not 1 <= len(digits) - len(hotline) - 6 <= 12:
        return None
    rest = digits[len(hotline):]
    return f"{hotline}-{rest[:6]}-{rest[6:]}"


def proof_of(text: str) -> Proof | None:
    """The second factor: exactly 3 digits, or an email address; None otherwise."""
    value = (text or "").strip()
    if re.fullmatch(r"\d{3}", value):
        return Proof(digits=value)
    if len(value) <= 254 and EMAIL.fullmatch(value):
        return Proof(email=value)
    return None


def status_words(status: str, t: Translate, hotline: str) -> str:
    message = t(STATUS.get(status, "Received"))
    return message % {"hotline": hotline} if "%(" in message else message


def history(case: PublicCase, t: Translate, tz: str, hotline: str) -> list[Line]:
    """The public steps in order; 'resolved' follows the last approval when the case is resolved and
    nothing said so explicitly."""
    steps = list(case.steps)
    if case.status in ("resolved", "closed") and not any(s.kind == "resolved" for s in steps):
        last = max((i for i, s in enumerate(steps) if s.kind == "approved"), default=None)
        if last is not None:
            steps.insert(last + 1, Step("resolved", steps[last].at))
    return [Line(show(s.at, tz), sentence(s, case.channel, t, tz, hotline)) for s in steps]


def sentence(step: Step, channel: str, t: Translate, tz: str, hotline: str) -> str:
    key = f"received_{channel}" if step.kind == "received" else step.kind
    message = t(SENTENCES.get(key, SENTENCES["received_phone"]))
    values = {"agency": step.agency or t("the agency"), "due": show(step.deadline_at, tz), "hotline": hotline}
    return message % values if "%(" in message else message


def view(case: PublicCase, site: Site, lang: str, t: Translate, redact: Callable[[str], str]) -> CaseView:
    """Everything the page shows, in `lang`, the answers redacted."""
    field = next((getattr(f, lang) for f in site.fields if f.key == case.field), case.field or "—")
    area = next((getattr(a, lang) for a in site.areas if a.key == case.area), case.area or "—")
    answers = tuple(ShownAnswer(a.agency, show(a.answered_at, site.timezone) if a.answered_at else "",
                                redact(a.text)) for a in case.answers)
    deadline = show(case.deadline_at, site.timezone) if case.deadline_at else ""
    return CaseView(case.code, field, area, show(case.received_at, site.timezone),
                    status_words(case.status, t, site.hotline), deadline, case.overdue,
                    tuple(history(case, t, site.timezone, site.hotline)), answers)
