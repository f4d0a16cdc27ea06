"""The dialplan's own menus, for calls the engine cannot take, rendered from the menu file.

The fallback tree (`[ivr] fallback`) and every menu it reaches become one dialplan context
each (`tongdai-menu-<name>`), so the keys a caller learned (the emergency key path above all)
mean the same with the engine down. Prompts play in Vietnamese, then English.
"""
from __future__ import annotations

from dataclasses import dataclass

from ivr.menu import QUEUE_EXIT_CONTEXT, Action, MenuTree
from config import Site

def context(menu: str) -> str:
    return f"tongdai-menu-{menu}"


def both(prompt: str) -> str:
    return f"${{TONGDAI_PROMPTS}}/vi/{prompt}&${{TONGDAI_PROMPTS}}/en/{prompt}"


@dataclass(frozen=True)
class DialplanMenu:
    context: str
    prompt: str
    options: tuple[tuple[str, tuple[str, ...]], ...]  # key -> dialplan applications, in order
    on_fail: tuple[str, ...]


@dataclass(frozen=True)
class FallbackPlan:
    start: str  # context of the fallback menu
    emergency_key: str
    emergency_menu: str  # its context
    wait_s: int  # WaitExten after a prompt
    menus: tuple[DialplanMenu, ...]
    queue_exit: str = QUEUE_EXIT_CONTEXT  # app_queue's exit context: the emergency key while waiting


def applications(site: Site, a: Action) -> tuple[str, ...]:
    """What an action does in the dialplan (the loader allows only these in the fallback tree)."""
    if a.kind == "menu":
        return (f"Goto({context(str(a.menu))},s,1)",)
    if a.kind == "emergency":
        return (f"Goto(tongdai-emergency,{a.service},1)",)
    if a.kind == "info":
        return (f"Playback({both(str(a.prompt))})", f"Goto(tongdai-queue,{a.queue},1)")
    if a.kind == "report":
        return (f"Goto(tongdai-queue,{site.queue_for(str(a.field))},1)",)
    if a.kind == "repeat":
        return ("Goto(s,again)",)
    if a.kind == "goodbye":
        return (f"Playback({both('goodbye')})", "Hangup()")
    return ("Goto(tongdai-queue,operator,1)",)  # operator


def plan(site: Site, tree: MenuTree) -> FallbackPlan:
    menus = []
    for name in tree.reachable(tree.fallback):
        menu = tree.menus[name]
        options = tuple((key, applications(site, a)) for key, a in sorted(menu.options.items()))
        menus.append(DialplanMenu(context(name), menu.prompt, options, applications(site, menu.on_fail)))
    return FallbackPlan(context(tree.fallback), tree.emergency.key, context(tree.emergency.menu),
                        max(1, round(tree.timeout_ms / 1000)), tuple(menus))
