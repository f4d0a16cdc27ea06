"""A ticket told as people read it: the caller's way through the IVR ("Menu chính → 2 Phản ánh
sự cố → 4 Cây xanh") and each timeline event as one sentence, in Vietnamese or English.

The sentences are messages of the console's catalogs (`story.*` in catalogs/<lang>/tickets.json),
the codes in them display names (`field.*`, `queue.*`, `status.*`...), and the IVR's menu and
option names come from the site's IVR file: an option is named by what its menu's prompt says
before "bấm 2" / "press 2" (what the caller heard), else by what it does. An event kind this
module does not know still reads as a sentence, never as raw key=value.
"""
from __future__ import annotations

import re
from typing import Any

from config import Site
from ivr.menu import Action
from web.teller import Teller, ivr_path, menu_tree

__all__ = ["EDITABLE", "Teller", "describe", "describe_ticket", "ivr_path", "menu_tree", "point_text"]
EDITABLE = ("field", "priority", "status", "summary", "caller_name", "address", "area", "outcome", "reply_by",
            "map_point")
RECONCILED = ("stopped", "fallback", "trunk_full", "hung_up_early")  # db/reconcile.py's why codes


def describe(event: dict[str, Any], site: Site, lang: str, teller: Teller | None = None) -> str:
    """One timeline event as a sentence in `lang`."""
    tell = teller or Teller(site, lang)
    kind, d = str(event.get("kind") or ""), dict(event.get("detail") or {})
    text = _sentence(tell, kind, d)
    if d.get("source") in ("queue_log", "cdr") and kind != "reconciled":
        text += tell.t("story.from_records")
    return text


def describe_ticket(record: dict[str, Any], site: Site, lang: str) -> dict[str, Any]:
    """A loaded ticket with `ivr_path_text` and each event's `text` (and each note's) added."""
    tell = Teller(site, lang)
    events = record.get("events") or []
    record["ivr_path_text"] = ivr_path(events, site, lang, tell)
    for e in events:
        e["text"] = describe(e, site, lang, tell)
    return record


def _sentence(tell: Teller, kind: str, d: dict[str, Any]) -> str:  # noqa: C901 - one branch per event kind
    t, label = tell.t, tell.label
    queue = label("queue", d.get("queue"))
    by = re.sub(r"^agent(\d+)$", r"\1", str(d.get("by") or d.get("agent") or "")) or None
    if kind == "answer":
        return t("story.answer", caller=d.get("caller") or None)
    if kind == "after_hours":
        return t("story.after_hours")
    if kind in ("menu", "language", "invalid", "timeout"):
        return _menu_sentence(tell, kind, d)
    if kind == "report":
        return t("story.report", field=label("field", d.get("field")))
    if kind == "queue":
        step, result = d.get("step"), str(d.get("result") or "")
        if step == "join":
            return t("story.queue_join", queue=queue)
        if step == "overflow":
            return t("story.queue_overflow", queue=queue)
        why = tell.words.get(f"story.queue_result.{result}")
        return t("story.queue_leave_why", queue=queue, why=why) if why else t("story.queue_leave", queue=queue)
    if kind == "agent":
        return t("story.agent", agent=d.get("agent"), queue=queue, wait=d.get("wait", 0))
    if kind == "agent_complete":
        who = tell.words.get(f"story.ended_by.{d.get('ended_by')}", "")
        return t("story.agent_complete", agent=d.get("agent"), talk=d.get("talk", 0), who=who).replace(" ()", "")
    if kind == "abandon":
        return t("story.abandon", queue=queue, position=d.get("position"), wait=d.get("wait"))
    if kind == "hangup":
        return t("story.hangup.caller" if d.get("by") == "caller" else "story.hangup.hotline")
    if kind == "transfer":
        return _transfer(tell, d)
    if kind in ("hold", "resume"):
        return t(f"story.{kind}", by=by)
    if kind == "emergency":
        return _emergency(tell, d)
    if kind == "voicemail":
        return t("story.voicemail", number=d["number"]) if d.get("number") else t("story.voicemail_no_number")
    if kind == "callback":
        return _callback(tell, d)
    if kind == "recording_failed":
        return t("story.recording_failed")
    if kind == "reconciled":
        why = d.get("why") or ("stopped" if "stopped" in str(d.get("note", "")) else "fallback")
        return t(f"story.reconciled_{why}" if why in RECONCILED else "story.reconciled_fallback")
    if kind == "edit":
        changes = [t("story.edit_item", name=t(f"story.entry.{k}"), value=_value(tell, k, v))
                   for k, v in d.items() if k in EDITABLE]
        return t("story.edit", by=d.get("by"), changes=", ".join(changes) or "—")
    if kind == "note":
        return t("story.note", by=d.get("by"), text=_quote(d.get("text")))
    if kind.startswith("agency_"):
        return _agency_action(tell, kind, d)
    if kind in ("forward", "reroute", "review", "reply", "reminder", "overdue", "share", "extension"):
        return _agency_step(tell, kind, d)
    if kind in ("notify_sent", "notify_failed", "notify_retry"):
        return _notification(tell, kind, d)
    if kind == "web_report":
        return _web_report(tell, d)
    if kind == "status_lookup":
        return _status_lookup(tell, d)
    if kind == "outcome" and "outcome" in d:
        return t("story.outcome", by=by, outcome=label("outcome", d.get("outcome")))
    details = ", ".join(f"{str(k).replace('_', ' ')} {_quote(v, 60) if isinstance(v, str) else v}"
                        for k, v in d.items() if v not in (None, "", {}, []))
    return t("story.other", kind=kind.replace("_", " "), details=f": {details}" if details else "")


def _web_report(tell: Teller, d: dict[str, Any]) -> str:
    """A report that came by the portal's form or an Open311 client: how many photos, and the
    portal's language the citizen wrote in (so the answer can be in it too)."""
    t, photos = tell.t, int(d.get("photos") or 0)
    text = t("story.web_report_open311" if d.get("source") == "open311" else "story.web_report")
    text += t("story.web_photos", n=photos) if photos > 1 else t("story.web_photo" if photos else "story.web_no_photo")
    return text + tell.words.get(f"story.web_page.{d.get('language')}", "")


def _status_lookup(tell: Teller, d: dict[str, Any]) -> str:
    """The status line on the phone: the open case of the calling number read at once (or none),
    a keyed case number (the case of this number, of another one, or none), the database down."""
    t, code = tell.t, d.get("code") or "—"
    if "error" in d:
        return t("story.status_error")
    if d.get("by") == "caller_number":
        return t("story.status_by_number_found", code=code) if d.get("found") else t("story.status_by_number_none")
    if not d.get("found"):
        return t("story.status_by_code_none", code=code)
    own = "found" if "own" not in d else "own" if d["own"] else "other"  # events before 'own' was kept
    return t(f"story.status_by_code_{own}", code=code)


def _agency_step(tell: Teller, kind: str, d: dict[str, Any]) -> str:
    """The 1022 side of a case: forwarded to an agency, re-routed, reminded of its deadline or
    escalated as overdue, the call shared with it (or no longer), more time granted or refused,
    its answer reviewed, the citizen told."""
    t, agency = tell.t, tell.label("agency", d.get("agency"))
    note = t("story.with_note", note=_quote(d.get("note"), 120)) if d.get("note") else ""
    due = tell.when(str(d["deadline_at"])) if d.get("deadline_at") else "—"
    if kind in ("forward", "reroute"):
        return t(f"story.{kind}", by=d.get("by"), agency=agency, due=due) + note
    if kind in ("reminder", "overdue"):  # the engine's reminders at 50 % / 80 %, and the escalation at 100 %
        return t(f"story.{kind}", agency=agency, step=d.get("step"), due=due, notified=d.get("notified", 0))
    if kind == "share":
        return t(f"story.share_{d.get('what')}" if d.get("shared") else f"story.unshare_{d.get('what')}",
                 by=d.get("by"), agency=agency)
    if kind == "extension":
        comment = t("story.with_note", note=_quote(d.get("comment"), 120)) if d.get("comment") else ""
        return t("story.extension_grant" if d.get("decision") == "grant" else "story.extension_refuse",
                 by=d.get("by"), agency=agency, due=due) + comment
    if kind == "review":
        comment = t("story.with_note", note=_quote(d.get("comment"), 120)) if d.get("comment") else ""
        return t("story.review_approve" if d.get("decision") == "approve" else "story.review_return",
                 by=d.get("by"), agency=agency) + comment
    told = {"sms": "story.reply_sms", "callback": "story.reply_callback", "email": "story.reply_email"}
    return t(told.get(str(d.get("by")), "story.reply_none"))


def _notification(tell: Teller, kind: str, d: dict[str, Any]) -> str:
    """An email or SMS of the case: to whom (the contact and their agency, or the citizen), which
    channel, sent (after how many tries), refused for good with the reason, or to be tried again."""
    t = tell.t
    if d.get("agency"):
        name = tell.label("agency", d.get("agency"))
        who = t("story.notify_contact", contact=d["contact"], agency=name) if d.get("contact") else name
    else:
        who = t("story.notify_citizen")
    values = {"channel": t(f"story.channel.{d.get('channel')}"), "who": who, "to": d.get("recipient"),
              "purpose": tell.words.get(f"story.notify_purpose.{d.get('purpose')}", str(d.get("purpose") or "")),
              "error": _quote(d.get("error"), 120)}
    if kind == "notify_sent":
        tries = int(d.get("attempts") or 1)
        return t("story.notify_sent", **values) + (t("story.notify_tries", n=tries) if tries > 1 else "")
    if kind == "notify_failed":
        return t("story.notify_failed", **values)
    return t("story.notify_retry", next=tell.when(str(d.get("next_try_at"))), **values)


def _agency_action(tell: Teller, kind: str, d: dict[str, Any]) -> str:
    """The agency's side: received, answered (with files, late or not), not ours, more time asked."""
    t, agency, who = tell.t, tell.label("agency", d.get("agency")), d.get("by") or "—"
    if kind == "agency_answered":
        files = t("story.agency_files", files=", ".join(map(str, d["files"]))) if d.get("files") else ""
        return t("story.agency_answered", agency=agency, by=who) + files + (t("story.late") if d.get("late") else "")
    if kind == "agency_rejected":
        suggested = tell.label("agency", d.get("suggested_agency")) if d.get("suggested_agency") else "—"
        return t("story.agency_rejected", agency=agency, by=who, reason=_quote(d.get("reason"), 120),
                 suggested=suggested)
    if kind == "agency_more_time":
        return t("story.agency_more_time", agency=agency, by=who, reason=_quote(d.get("reason"), 120))
    return t("story.agency_acknowledged", agency=agency, by=who)


def _quote(value: Any, size: int = 160) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= size else text[:size - 1] + "…"


def point_text(stored: str | None) -> str:
    """A stored map point ("16.067800,108.220800") as people read it: "16.0678, 108.2208"."""
    if not stored:
        return ""
    return ", ".join(part.rstrip("0").rstrip(".") or "0" for part in stored.split(",", 1))


def _value(tell: Teller, key: str, value: Any) -> str:
    group = key if key in ("field", "status", "area", "outcome", "reply_by") else None
    if group:
        return tell.label(group, value)
    if value in (None, ""):
        return tell.t("story.emptied")
    if key == "map_point":
        return point_text(str(value))
    return f"“{_quote(value, 80)}”" if key in ("summary", "caller_name", "address") else str(value)


def _menu_sentence(tell: Teller, kind: str, d: dict[str, Any]) -> str:
    t, menu_key = tell.t, str(d.get("menu") or "")
    menu = tell.menu_name(menu_key)
    then = t("story.then", then=t(f"story.action.{d['then']}")) if d.get("then") else ""
    if kind == "timeout":
        return t("story.timeout", menu=menu, attempt=d.get("attempt")) + then
    if kind == "invalid":
        if menu_key == "callback-number":
            return t("story.invalid_number", digits=d.get("digits"))
        return t("story.invalid", digit=d.get("digit"), menu=menu, attempt=d.get("attempt")) + then
    digit = d.get("digit")
    if kind == "language":
        return t("story.language_chosen", digit=digit, language=t(f"story.language.{d.get('language')}"))
    if d.get("choice") == "repeat":
        return t("story.menu_repeat", digit=digit, menu=menu)
    option = tell.option(menu_key, digit)
    if not option and d.get("to"):
        option = tell.action(Action("menu", menu=str(d["to"])))
    if menu_key.startswith("queue:"):
        return t("story.menu_queue", digit=digit, option=option, queue=tell.label("queue", menu_key[6:]))
    return t("story.menu", digit=digit, option=option, menu=menu) if option else \
        t("story.menu_plain", digit=digit, menu=menu)


def _target(tell: Teller, d: dict[str, Any]) -> str:
    to = str(d.get("to") or "")
    if d.get("kind") == "agent":
        return tell.t("story.to_agent", agent=to.split()[-1])
    if d.get("kind") == "queue":
        return tell.t("story.to_queue", queue=tell.label("queue", to.split()[-1]))
    if d.get("kind") == "supervisor":
        return tell.t("story.to_supervisor")
    return tell.service(to)


def _transfer(tell: Teller, d: dict[str, Any]) -> str:
    to = _target(tell, d)
    if "result" in d:
        result = tell.words.get(f"story.dial.{d['result']}", str(d["result"] or "—"))
        return tell.t("story.transfer_result", to=to, result=result)
    by = re.sub(r"^agent(\d+)$", r"\1", str(d.get("by") or ""))
    if d.get("via") == "phone":
        return tell.t("story.transfer_phone", by=by, to=to)
    if by:
        return tell.t("story.transfer_by", by=by, to=to)
    return tell.t("story.transfer_dial", to=to)


def _emergency(tell: Teller, d: dict[str, Any]) -> str:
    service = tell.service(d.get("service"), d.get("name"))
    if d.get("step") == "ended":
        outcome = tell.words.get(f"story.dial.{d.get('outcome')}", str(d.get("outcome") or "—"))
        times = tell.t("story.emergency_times", ring=round(float(d["ring_s"] or 0)),
                       talk=round(float(d.get("talk_s") or 0))) if "ring_s" in d else ""
        return tell.t("story.emergency_ended", service=service, outcome=outcome) + times
    where = str(d.get("from") or "")
    came = ""
    if where.startswith("queue:"):
        came = tell.t("story.from_queue", queue=tell.label("queue", where[6:]))
    elif where.startswith("menu:"):
        came = tell.t("story.from_menu", menu=tell.menu_name(where[5:]))
    text = tell.t("story.emergency_chosen", service=service, where=came).replace("  ", " ").strip()
    return text + (tell.t("story.emergency_guide") if d.get("mode") == "guide" else "")


def _callback(tell: Teller, d: dict[str, Any]) -> str:
    t, step = tell.t, d.get("step")
    if step == "offered":
        return t("story.callback_offered", minutes=max(1, round(float(d.get("expected_wait") or 0) / 60)))
    if step == "scheduled" and d.get("due") == "now":
        return t("story.callback_queued", queue=tell.label("queue", d.get("queue")), number=d.get("number"))
    if step == "scheduled":
        return t("story.callback_scheduled", number=d.get("number"), due=tell.when(str(d.get("due"))))
    if step == "impossible":
        reason = "no_number" if "number" in str(d.get("reason", "")) else "closed"
        return t("story.callback_impossible", reason=t(f"story.reason.{reason}"))
    if "outcome" in d:
        state = t("story.callback_state", state=tell.label("cb_state", d["state"])) \
            if d.get("state") in ("done", "unreachable") else ""
        return t("story.callback_try", attempt=d.get("attempt"), by=d.get("by"),
                 outcome=tell.label("cb_outcome", d["outcome"])) + state
    return t("story.other", kind=t("story.kind.callback"), details="")
