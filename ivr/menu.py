"""The IVR tree as data: a TOML menu file validated at load into frozen dataclasses.

```toml
[ivr]
start = "main"            # first menu
after_hours = "closed"    # menu offered outside opening hours
fallback = "fallback"     # the dialplan's own menu while the engine is down (rendered into extensions.conf)
timeout_ms = 5000         # wait for a digit after a menu prompt

[emergency]               # one emergency key path for the whole hotline
key = "3"                 # in every menu, sub-menu and queue: opens the emergency menu
menu = "emergency"

[menus.main]
prompt = "main-menu"
on_fail = { action = "operator" }          # after too many timeouts / invalid digits
[menus.main.options]
"1" = { action = "info", prompt = "admin-info", queue = "admin", field = "admin" }
"2" = { action = "menu", menu = "report" }

[prompts.main-menu]
vi = "..."
en = "..."
```
Actions: menu, info, report, emergency, operator, language, repeat, goodbye, voicemail, status (the
status of a request, `ivr.status_line`: its prompts are required once a menu offers it). Every
bad value raises `ConfigError` naming the file and the key. The emergency key is added to every
menu that does not name it; a menu that gives it another meaning is refused, and so is a file
in which the same keys dial a service in one tree and mean something else in another
(`ivr.keypaths`).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.hours import describe
from ivr.keypaths import conflicts, key_paths
from config import ConfigError, Site

DIGITS = "0123456789*#"
ACTIONS = {  # action -> keys it needs (besides "action")
    "menu": ("menu",), "info": ("prompt", "queue"), "report": ("field",), "emergency": ("service",),
    "operator": (), "language": ("language",), "repeat": (), "goodbye": (), "voicemail": (), "status": (),
}
OPTIONAL = {"info": ("field",)}
LANGUAGES = ("vi", "en")
SERVICES = ("police", "fire", "ambulance")
# the dialplan fallback has no engine: no language switch (it speaks both), no voicemail
FALLBACK_ACTIONS = ("menu", "info", "report", "emergency", "operator", "repeat", "goodbye")
# app_queue's exit context (queues.conf `context`): the emergency key pressed while waiting
# leaves the queue for it; the flow sees the channel there and takes the emergency path.
QUEUE_EXIT_CONTEXT = "tongdai-queue-exit"
_MENU_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")  # also a dialplan context name
# prompts the engine and the dialplan play besides the menus' own
SYSTEM_PROMPTS = ("welcome", "closed", "invalid", "sorry-busy", "goodbye", "ticket-number", "fallback-menu",
                  "transferring", "please-hold", *(f"emergency-{s}-guide" for s in SERVICES),
                  "agent-logged-in", "agent-enter-pin", "agent-logged-out", "agent-paused", "agent-ready",
                  "agent-error",
                  "queue-position", "queue-wait", "minutes", "leave-message", "enter-number", "confirm-number",
                  "callback-scheduled", "offer-callback", "emergency-operator")
# what the status line (`ivr.status_line`) says besides digits, dates, agencies and fields (made in code)
STATUS_PROMPTS = ("status-case", "status-state", "status-agency", "status-deadline", "status-overdue",
                  "status-answer-ready", "status-after", "status-enter-code", "status-not-found",
                  "status-unavailable", *(f"status-{s}" for s in ("open", "forwarded", "answered", "resolved",
                                                                    "closed", "callback")))


@dataclass(frozen=True)
class Prompt:
    name: str
    vi: str
    en: str

    def text(self, language: str) -> str:
        return self.vi if language == "vi" else self.en


@dataclass(frozen=True)
class Action:
    kind: str
    menu: str | None = None
    prompt: str | None = None
    queue: str | None = None
    field: str | None = None
    service: str | None = None
    language: str | None = None

    def need(self, name: str) -> str:
        """A key the loader made sure this kind of action has (e.g. `service` of an emergency)."""
        value = getattr(self, name)
        if not isinstance(value, str):
            raise ValueError(f"action {self.kind!r} has no {name}")
        return value


@dataclass(frozen=True)
class Menu:
    name: str
    prompt: str
    options: dict[str, Action]
    on_fail: Action


@dataclass(frozen=True)
class Emergency:
    key: str  # pressed in any menu but `menu` itself, or while waiting in a queue
    menu: str  # offers the services (police, fire, ambulance)


@dataclass(frozen=True)
class MenuTree:
    file: Path
    start: str
    after_hours: str
    timeout_ms: int
    retries: int
    menus: dict[str, Menu]
    prompts: dict[str, Prompt]
    fallback: str = "fallback"
    emergency: Emergency = Emergency("3", "emergency")

    def trees(self) -> dict[str, str]:
        """The roots a caller can start from: opening hours, after hours, the engine down."""
        return {"opening-hours": self.start, "after-hours": self.after_hours, "fallback": self.fallback}

    def offers_status(self) -> bool:
        """A menu offers the status of a request: its prompts (dates, agencies, fields) are needed."""
        return any(a.kind == "status" for m in self.menus.values() for a in m.options.values())

    def reachable(self, root: str) -> list[str]:
        """Menus reachable from `root` by keys (or by giving up), `root` first."""
        seen, todo = [root], [root]
        while todo:
            menu = self.menus[todo.pop()]
            for a in (*menu.options.values(), menu.on_fail):
                if a.kind == "menu" and a.menu and a.menu not in seen:
                    seen.append(a.menu)
                    todo.append(a.menu)
        return seen


def _action(file: Path, key: str, raw: object) -> Action:
    if not isinstance(raw, dict):
        raise ConfigError(file, key, f"must be a table like {{ action = \"menu\", menu = \"report\" }}, got {raw!r}")
    kind = raw.get("action")
    if kind not in ACTIONS:
        raise ConfigError(file, f"{key}.action", f"must be one of {', '.join(ACTIONS)}, got {kind!r}")
    allowed = set(ACTIONS[kind]) | set(OPTIONAL.get(kind, ())) | {"action"}
    for extra in sorted(set(raw) - allowed):
        raise ConfigError(file, f"{key}.{extra}", f"not used by action {kind!r}")
    for needed in ACTIONS[kind]:
        if not isinstance(raw.get(needed), str) or not raw[needed]:
            raise ConfigError(file, f"{key}.{needed}", f"action {kind!r} needs a {needed} name")
    return Action(kind, **{k: v for k, v in raw.items() if k != "action"})


def _check_action(file: Path, key: str, a: Action, site: Site, menus: dict[str, Any],
                  prompts: dict[str, Prompt]) -> None:
    def bad(sub: str, message: str) -> ConfigError:
        return ConfigError(file, f"{key}.{sub}", message)
    if a.menu is not None and a.menu not in menus:
        raise bad("menu", f"no menu {a.menu!r} (menus: {', '.join(menus)})")
    if a.prompt is not None and a.prompt not in prompts:
        raise bad("prompt", f"no prompt {a.prompt!r} in [prompts]")
    if a.queue is not None and a.queue not in {q.name for q in site.queues}:
        raise bad("queue", f"no queue {a.queue!r} in the site file")
    if a.field is not None and a.field not in {f.key for f in site.fields}:
        raise bad("field", f"no field {a.field!r} in the site file")
    if a.service is not None and a.service not in SERVICES:
        raise bad("service", f"must be one of {', '.join(SERVICES)}")
    if a.language is not None and a.language not in LANGUAGES:
        raise bad("language", f"must be one of {', '.join(LANGUAGES)}")


def load_menu(site: Site, file: Path | None = None) -> MenuTree:
    file = Path(file or site.ivr_file)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(file, "-", "no such menu file") from None
    except tomllib.TOMLDecodeError as e:  # duplicate digits are duplicate keys: caught here
        raise ConfigError(file, "-", f"not valid TOML: {e}") from None

    prompts: dict[str, Prompt] = {}
    for name, texts in (data.get("prompts") or {}).items():
        for lang in LANGUAGES:
            if not isinstance(texts, dict) or not isinstance(texts.get(lang), str) or not texts[lang].strip():
                raise ConfigError(file, f"prompts.{name}.{lang}", "every prompt needs Vietnamese and English text")
        values = dict(hotline=site.hotline, hours_vi=describe(site, "vi"), hours_en=describe(site, "en"),
                      **site.emergency.numbers)
        try:
            prompts[name] = Prompt(name, texts["vi"].format(**values), texts["en"].format(**values))
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(file, f"prompts.{name}", f"unknown placeholder {e}") from None
    for name in SYSTEM_PROMPTS:
        if name not in prompts:
            raise ConfigError(file, f"prompts.{name}", "required prompt is missing")

    ivr = data.get("ivr") or {}
    timeout = ivr.get("timeout_ms", 5000)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 500 <= timeout <= 60000:
        raise ConfigError(file, "ivr.timeout_ms",
                          f"must be a positive number of milliseconds (500-60000), got {timeout!r}")
    raw_menus = data.get("menus") or {}
    if not raw_menus:
        raise ConfigError(file, "menus", "at least one menu is needed")

    emergency = _emergency(file, data.get("emergency"), raw_menus)
    menus: dict[str, Menu] = {}
    for name, raw in raw_menus.items():
        key = f"menus.{name}"
        if not _MENU_NAME.match(name):
            raise ConfigError(file, key,
                              "a menu name is lower-case letters, digits, - and _ (it names a dialplan context)")
        if not isinstance(raw, dict) or not isinstance(raw.get("prompt"), str):
            raise ConfigError(file, f"{key}.prompt", "every menu needs a prompt")
        if raw["prompt"] not in prompts:
            raise ConfigError(file, f"{key}.prompt", f"no prompt {raw['prompt']!r} in [prompts]")
        options = {}
        for digit, opt in (raw.get("options") or {}).items():
            if len(digit) != 1 or digit not in DIGITS:
                raise ConfigError(file, f"{key}.options.{digit}", "must be one key: 0-9, * or #")
            options[digit] = _action(file, f"{key}.options.{digit}", opt)
        if not options:
            raise ConfigError(file, f"{key}.options", "a menu needs at least one option")
        if name != emergency.menu:
            _emergency_key(file, key, options, emergency)
        on_fail = _action(file, f"{key}.on_fail", raw.get("on_fail", {"action": "operator"}))
        menus[name] = Menu(name, raw["prompt"], options, on_fail)
    for menu in menus.values():
        for digit, a in menu.options.items():
            _check_action(file, f"menus.{menu.name}.options.{digit}", a, site, menus, prompts)
        _check_action(file, f"menus.{menu.name}.on_fail", menu.on_fail, site, menus, prompts)

    start, after, fallback = ivr.get("start", "main"), ivr.get("after_hours", "closed"), ivr.get("fallback", "fallback")
    for k, v in (("ivr.start", start), ("ivr.after_hours", after), ("ivr.fallback", fallback)):
        if v not in menus:
            raise ConfigError(file, k, f"no menu {v!r}")
    if any(a.kind == "status" for m in menus.values() for a in m.options.values()):
        for name in STATUS_PROMPTS:
            if name not in prompts:
                raise ConfigError(file, f"prompts.{name}", "required prompt is missing (a menu offers the status "
                                                           "of a request)")
    tree = MenuTree(file, start, after, timeout, site.menu_retries, menus, prompts, fallback, emergency)
    _check_fallback(tree)
    _check_key_paths(tree)
    return tree


def _emergency(file: Path, raw: object, menus: dict[str, Any]) -> Emergency:
    if not isinstance(raw, dict):
        raise ConfigError(file, "emergency", 'one emergency key path is required, e.g. [emergency] key = "3", '
                                             'menu = "emergency"')
    key, menu = raw.get("key"), raw.get("menu")
    for extra in sorted(set(raw) - {"key", "menu"}):
        raise ConfigError(file, f"emergency.{extra}", "unknown key (key, menu)")
    if not isinstance(key, str) or len(key) != 1 or key not in DIGITS:
        raise ConfigError(file, "emergency.key", f"must be one key: 0-9, * or #, got {key!r}")
    if menu not in menus:
        raise ConfigError(file, "emergency.menu", f"no menu {menu!r} (menus: {', '.join(menus)})")
    return Emergency(key, menu)


def _emergency_key(file: Path, key: str, options: dict[str, Action], emergency: Emergency) -> None:
    """The emergency key opens the emergency menu in every other menu: added where missing."""
    given = options.get(emergency.key)
    if given is None:
        options[emergency.key] = Action("menu", menu=emergency.menu)
    elif (given.kind, given.menu) != ("menu", emergency.menu):
        raise ConfigError(file, f"{key}.options.{emergency.key}",
                          f"{emergency.key} is the emergency key ([emergency] key): in every menu it opens the "
                          f"{emergency.menu!r} menu; give this option another key")


def _check_fallback(tree: MenuTree) -> None:
    """The fallback is rendered into the dialplan, which cannot switch language or take a message."""
    for name in tree.reachable(tree.fallback):
        menu = tree.menus[name]
        for where, a in [*((f"options.{d}", a) for d, a in menu.options.items()), ("on_fail", menu.on_fail)]:
            if a.kind not in FALLBACK_ACTIONS:
                raise ConfigError(tree.file, f"menus.{name}.{where}",
                                  f"action {a.kind!r} is not available in the fallback (ivr.fallback = "
                                  f"{tree.fallback!r}); use one of {', '.join(FALLBACK_ACTIONS)}")


def _check_key_paths(tree: MenuTree) -> None:
    paths = {label: key_paths(dict(tree.menus), root) for label, root in tree.trees().items()}
    for c in conflicts(paths):
        raise ConfigError(tree.file, f"menus.{c.here.menu}.options.{c.here.key}", c.message())
