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
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config import ConfigError, Site
from ivr.menu import Action, MenuTree, load_menu
from web.language import catalog

ARROW = " → "
_KEY_WORDS = {"thăng": "#", "hash": "#", "pound": "#", "sao": "*", "star": "*"}
_OPTION = re.compile(r"^(?P<label>.+?),\s*(?:bấm|press)\s+(?P<key>[0-9]|thăng|hash|pound|sao|star)\.?$", re.I)
_LEADING = re.compile(r"^(?:for|to)\s+(?:an?\s+|the\s+)?", re.I)
EDITABLE = ("field", "priority", "status", "summary", "caller_name", "address", "area", "outcome")


_trees: dict[tuple[str, float], MenuTree | None] = {}


def menu_tree(site: Site) -> MenuTree | None:
    """The site's IVR tree, loaded once per version of the file (None if it cannot be read)."""
    file = Path(site.ivr_file)
    try:
        key = (str(file), file.stat().st_mtime)
    except OSError:
        return None
    if key not in _trees:
        try:
            _trees[key] = load_menu(site, file)
        except (ConfigError, OSError):
            _trees[key] = None
    return _trees[key]


@cache
def _prompt_labels(text: str) -> dict[str, str]:
    """What a menu prompt names each key: "Phản ánh sự cố, bấm 2." -> {"2": "Phản ánh sự cố"}."""
    out: dict[str, str] = {}
    for sentence in re.split(r"(?<=\.)\s+", text.strip()):
        m = _OPTION.match(sentence.strip())
        if m:
            key = _KEY_WORDS.get(m["key"].lower(), m["key"])
            label = _LEADING.sub("", m["label"].strip())
            out.setdefault(key, label[:1].upper() + label[1:])
    return out


class Teller:
    """One language's words for one site: build once per ticket, then tell its events."""

    def __init__(self, site: Site, lang: str):
        self.site, self.lang = site, lang
        self.words = catalog(lang, site)
        self.tree = menu_tree(site)
        self.tz = ZoneInfo(site.timezone)

    # ---- words ----
    def t(self, key: str, **values: Any) -> str:
        text = self.words.get(key, key)
        for name, value in values.items():
            text = text.replace("{" + name + "}", "—" if value is None else str(value))
        return text

    def label(self, group: str, code: Any) -> str:
        if code is None or code == "":
            return "—"
        return self.words.get(f"{group}.{code}", str(code))

    def service(self, number: Any, name: Any = None) -> str:
        """'Công an (113)' for an emergency number or name, else the number itself."""
        numbers = self.site.emergency.numbers
        if name is None:
            name = next((k for k, v in numbers.items() if v == str(number)), None)
        if name in numbers:
            return f"{self.label('service', name)} ({numbers[str(name)]})"
        return str(number)

    def when(self, iso: str) -> str:
        try:
            at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        except (TypeError, ValueError):
            return str(iso)
        at = at.astimezone(self.tz) if at.tzinfo else at
        return at.strftime("%d/%m/%Y %H:%M")

    # ---- the IVR ----
    def menu_name(self, name: Any) -> str:
        name = str(name or "")
        if name.startswith("queue:"):
            return self.t("story.in_queue", queue=self.label("queue", name.split(":", 1)[1]))
        tree = self.tree
        if tree is None or name not in tree.menus:
            return self.words.get(f"story.menu.{name}", name or "—")
        roots = {tree.start: "main", tree.after_hours: "after_hours", tree.fallback: "fallback"}
        if name in roots:
            return self.t(f"story.menu.{roots[name]}")
        return self.t("story.menu.sub", name=self.leads_to(name) or name)

    def leads_to(self, name: str) -> str:
        """What the prompts call the key that opens menu `name` ('' if none says)."""
        assert self.tree is not None
        for menu in (self.tree.menus[m] for m in self.tree.reachable(self.tree.start) + list(self.tree.menus)):
            for key, action in menu.options.items():
                if action.kind == "menu" and action.menu == name and menu.name != name and self.heard(menu.name, key):
                    return self.heard(menu.name, key)
        return ""

    def option(self, menu: Any, key: Any) -> str:
        """The name of key `key` in menu `menu` ('' if unknown)."""
        tree = self.tree
        if tree is None or menu not in tree.menus:
            return ""
        action = tree.menus[str(menu)].options.get(str(key))
        return self.heard(str(menu), str(key)) or (self.action(action) if action else "")

    def goes_to(self, menu: Any, key: Any) -> str | None:
        """The menu that key `key` of menu `menu` opens (None if it opens none)."""
        m = self.tree.menus.get(str(menu)) if self.tree else None
        action = m.options.get(str(key)) if m else None
        return action.menu if action and action.kind == "menu" else None

    def heard(self, menu: str, key: str) -> str:
        """What the menu's prompt calls key `key`, in this language ('' if it does not say)."""
        assert self.tree is not None
        m = self.tree.menus[menu]
        prompt = self.tree.prompts.get(m.prompt)
        return _prompt_labels(prompt.text(self.lang)).get(key, "") if prompt else ""

    def action(self, a: Action) -> str:
        if a.kind == "report" or (a.kind == "info" and a.field):
            return self.label("field", a.field)
        if a.kind == "emergency":
            return self.service(None, a.service)
        if a.kind == "menu":
            known = self.tree is not None and a.menu in self.tree.menus
            return (self.leads_to(str(a.menu)) if known else "") or str(a.menu or "")
        if a.kind == "language":
            return self.t(f"story.language.{a.language}")
        return self.t(f"story.action.{a.kind}")


def ivr_path(events: list[dict[str, Any]], site: Site, lang: str, teller: Teller | None = None) -> str:
    """The caller's way through the menus, e.g. "Menu chính → 2 Phản ánh sự cố → 4 Cây xanh"
    ('' when the call never reached a menu)."""
    tell = teller or Teller(site, lang)
    parts: list[str] = []
    here: str | None = None
    for e in events:
        d = e.get("detail") or {}
        if e.get("kind") not in ("menu", "language") or "digit" not in d or d.get("choice") == "repeat":
            continue
        if d.get("menu") != here:
            parts.append(tell.menu_name(d.get("menu")))
        label = tell.option(d.get("menu"), d["digit"]) or (tell.action(Action("menu", menu=d["to"])) if d.get("to")
                                                             else "")
        parts.append(f"{d['digit']} {label}".strip())
        here = d.get("to") or tell.goes_to(d.get("menu"), d["digit"]) or d.get("menu")
    return ARROW.join(parts)


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
        stopped = "stopped" in str(d.get("note", ""))
        return t("story.reconciled_stopped" if stopped else "story.reconciled_fallback")
    if kind == "edit":
        changes = [t("story.edit_item", name=t(f"story.entry.{k}"), value=_value(tell, k, v))
                   for k, v in d.items() if k in EDITABLE]
        return t("story.edit", by=d.get("by"), changes=", ".join(changes) or "—")
    if kind == "note":
        return t("story.note", by=d.get("by"), text=_quote(d.get("text")))
    if kind == "outcome" and "outcome" in d:
        return t("story.outcome", by=by, outcome=label("outcome", d.get("outcome")))
    details = ", ".join(f"{str(k).replace('_', ' ')} {_quote(v, 60) if isinstance(v, str) else v}"
                        for k, v in d.items() if v not in (None, "", {}, []))
    return t("story.other", kind=kind.replace("_", " "), details=f": {details}" if details else "")


def _quote(value: Any, size: int = 160) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= size else text[:size - 1] + "…"


def _value(tell: Teller, key: str, value: Any) -> str:
    group = {"field": "field", "status": "status", "area": "area", "outcome": "outcome"}.get(key)
    if group:
        return tell.label(group, value)
    if value in (None, ""):
        return tell.t("story.emptied")
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
