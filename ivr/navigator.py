"""What to do next in the IVR: pure logic over the menu tree, no PBX.

`press(tree, state, key)` takes the key the caller pressed ('' for no input) and returns
the next `Step`: prompts to play, whether to ask the (possibly new) menu again, the event
to record, or a final action. Timeouts and invalid digits count as failures in the current
menu; at `tree.retries` failures the menu's `on_fail` action (the operator by default) runs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ivr.menu import Action, MenuTree


@dataclass(frozen=True)
class State:
    menu: str
    language: str = "vi"
    failures: int = 0


@dataclass(frozen=True)
class Step:
    state: State
    event: str  # menu | invalid | timeout | language
    detail: dict[str, Any]
    play: tuple[str, ...] = ()  # prompt names to play before asking again
    action: Action | None = None  # final action; None means ask state.menu again


def press(tree: MenuTree, state: State, key: str) -> Step:
    menu = tree.menus[state.menu]
    if key == "":
        failures = state.failures + 1
        after = replace(state, failures=failures)
        detail = {"menu": menu.name, "attempt": failures}
        if failures >= tree.retries:
            return Step(after, "timeout", {**detail, "then": menu.on_fail.kind}, action=menu.on_fail)
        return Step(after, "timeout", detail)
    action = menu.options.get(key)
    if action is None:
        failures = state.failures + 1
        after = replace(state, failures=failures)
        detail = {"menu": menu.name, "digit": key, "attempt": failures}
        if failures >= tree.retries:
            return Step(after, "invalid", {**detail, "then": menu.on_fail.kind}, ("invalid",), menu.on_fail)
        return Step(after, "invalid", detail, ("invalid",))
    detail = {"menu": menu.name, "digit": key, "choice": action.kind}
    if action.kind == "repeat":
        return Step(state, "menu", detail)
    if action.kind == "menu":
        return Step(State(action.need("menu"), state.language), "menu", {**detail, "to": action.menu})
    if action.kind == "language":
        return Step(State(state.menu, action.need("language")), "language",
                    {**detail, "language": action.language})
    return Step(state, "menu", detail, action=action)
