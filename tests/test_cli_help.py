"""Every `tongdai` subcommand explains itself in --help."""
from __future__ import annotations

import argparse

from tongdai.cli import parser


def _missing(p: argparse.ArgumentParser, path: str) -> list[str]:
    out = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                if not helps.get(name):
                    out.append(f"{path} {name}".strip())
                out += _missing(sub, f"{path} {name}")
    return out


def test_every_subcommand_has_help():
    assert _missing(parser(), "tongdai") == []
