"""One language's words for one site, as the ticket's story needs them: the catalog's messages and
display names, and the IVR's menu and option names from the site's IVR file (an option is named
by what its menu's prompt says before "bấm 2" / "press 2", what the caller heard, else by what
it does). `ivr_path` tells the caller's way through the menus."""
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
