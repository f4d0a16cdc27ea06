"""The same keys mean the same emergency service at every hour: a check over the menu trees.

A caller learns a key path once ("3, then 1 for the police") and uses it in a panic, at any
hour, possibly while the engine is down. So across the trees a site offers (opening hours,
after hours, the dialplan fallback) a key sequence that dials 113/114/115 in one tree must
lead to the same service, or to nothing, in every other. Pure logic over the loaded menus.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from collections.abc import Mapping

MAX_DEPTH = 6  # key presses followed from a tree's root; menus deeper than that are not dialled in a panic


class _Action(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def menu(self) -> str | None: ...
    @property
    def service(self) -> str | None: ...


class _Menu(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def options(self) -> Mapping[str, _Action]: ...


@dataclass(frozen=True)
class KeyMeaning:
    menu: str  # the menu where the last key is pressed
    key: str
    meaning: str  # "service police", "menu report", "info", "operator", ...

    @property
    def service(self) -> str | None:
        return self.meaning.removeprefix("service ") if self.meaning.startswith("service ") else None


def meaning(action: _Action) -> str:
    if action.kind == "emergency":
        return f"service {action.service}"
    if action.kind == "menu":
        return f"menu {action.menu}"
    return action.kind


def key_paths(menus: Mapping[str, _Menu], root: str) -> dict[str, KeyMeaning]:
    """Every key sequence from `root` (following sub-menus) and what its last key does."""
    out: dict[str, KeyMeaning] = {}

    def walk(name: str, prefix: str, path: tuple[str, ...]) -> None:
        if len(prefix) >= MAX_DEPTH:
            return
        for key, action in menus[name].options.items():
            seq = prefix + key
            out.setdefault(seq, KeyMeaning(name, key, meaning(action)))
            if action.kind == "menu" and action.menu and action.menu not in path:
                walk(action.menu, seq, (*path, action.menu))

    walk(root, "", (root,))
    return out


@dataclass(frozen=True)
class Conflict:
    keys: str
    here: KeyMeaning  # in `tree`, dials a service
    tree: str
    other: KeyMeaning
    other_tree: str

    def message(self) -> str:
        return (f"keys {' '.join(self.keys)} dial the {self.here.service} service in the {self.tree} tree, but "
                f"mean {self.other.meaning!r} in the {self.other_tree} tree (menus.{self.other.menu}.options."
                f"{self.other.key}): the same keys must mean the same thing at every hour and with the engine down")


def conflicts(trees: Mapping[str, Mapping[str, KeyMeaning]]) -> list[Conflict]:
    """Key sequences that dial a service in one tree and mean something else in another."""
    found = []
    names = list(trees)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for seq in sorted(set(trees[a]) & set(trees[b])):
                ma, mb = trees[a][seq], trees[b][seq]
                if ma.meaning == mb.meaning or not (ma.service or mb.service):
                    continue
                if ma.service:
                    found.append(Conflict(seq, ma, a, mb, b))
                else:
                    found.append(Conflict(seq, mb, b, ma, a))
    return found
