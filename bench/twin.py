"""The baseline of bench/engine_cost.py: a plain-dialplan twin of the hotline path, for the bench only.

`render_twin(site, out)` renders the site's Asterisk config into its own directory (its own run,
log and CDR files; the same ports, prompts and spool) and adds to it what the engine would ask
of Asterisk on a call, without the engine: `bench/twin_extensions.conf.j2` answers `TWIN_NUMBER`
from the trunk, records with MixMonitor (its own spool folder, the same post-command), plays the
engine's prompts in Vietnamese with Background/Playback, walks the same menus, reads a ticket
number and the queue position, and queues in the same app_queue queues. The agents are static
members of every queue, as the engine's QueueAdd makes them (penalty 0, named by extension, their
phone as state interface). Asterisk is then started on this directory with no engine running,
so the difference between the two runs is the engine alone.

The menu actions the bench never takes (status, emergency, voicemail, language) go to the operator
queue here; the bench walks 2 (report), 4 (trees) to the incidents queue.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from asterisk_conf import Layout, render
from config import Site
from ivr.menu import Action, MenuTree, load_menu

HERE = Path(__file__).parent
TWIN_NUMBER = "1099"
GIVE_UP = ("TIMEOUT", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "FULL")  # as ivr.flows
CODE_DIGITS = 4  # a ticket code's last part (db.numbers: `{number:04d}`)


@dataclass(frozen=True)
class TwinMenu:
    name: str
    prompt: str
    options: tuple[tuple[str, tuple[str, ...]], ...]
    on_fail: str


def spool(site: Site) -> tuple[Path, Path]:
    """Where the twin's recordings go (monitor, closed): out of the engine's sight."""
    base = site.paths.spool / "bench-twin"
    return base / "monitor", base / "closed"


def applications(site: Site, a: Action) -> tuple[str, ...]:
    if a.kind == "menu":
        return (f"Goto(bench-twin-menu-{a.menu},s,1)",)
    if a.kind == "report":
        return (f"Goto(bench-twin-queue,{site.queue_for(str(a.field))},1)",)
    if a.kind == "info":
        return (f"Playback({site.paths.sounds}/vi/{a.prompt})", f"Goto(bench-twin-queue,{a.queue},1)")
    if a.kind == "repeat":
        return ("Goto(s,menu)",)
    return ("Goto(bench-twin-queue,operator,1)",)  # operator, and what the bench never walks


def menus(site: Site, tree: MenuTree) -> list[TwinMenu]:
    out = []
    for name in tree.reachable(tree.start):
        menu = tree.menus[name]
        options = tuple((key, applications(site, a)) for key, a in sorted(menu.options.items()))
        out.append(TwinMenu(name, menu.prompt, options, applications(site, menu.on_fail)[0]))
    return out


def dialplan(site: Site, tree: MenuTree) -> str:
    monitor, closed = spool(site)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    return env.get_template("twin_extensions.conf.j2").render(
        number=TWIN_NUMBER, hotline=site.hotline, channels=site.trunk.channels, monitor=monitor, closed=closed,
        start=tree.start, menus=menus(site, tree), retries=tree.retries, wait_s=max(1, round(tree.timeout_ms / 1000)),
        prompts=site.paths.sounds, code_digits=CODE_DIGITS, queues=site.queues, give_up=GIVE_UP)


def members(site: Site) -> str:
    """Every agent in every queue, as the engine's QueueAdd puts them on login."""
    lines = ["", "; benchmark only (bench/twin.py): the agents, as the engine adds them on login"]
    for q in site.queues:
        lines.append(f"[{q.name}](+)")
        lines += [f"member => PJSIP/agent{ext},0,{ext},PJSIP/agent{ext}" for ext in site.agents.extensions]
    return "\n".join(lines) + "\n"


def render_twin(site: Site, out: Path, daemon_ids: tuple[int, int] | None = None) -> Layout:
    """The site's Asterisk config in `out`, plus the twin's dialplan and queue members."""
    layout = render(site, out)
    tree = load_menu(site)
    with (layout.conf / "extensions.conf").open("a", encoding="utf-8") as f:
        f.write(dialplan(site, tree))
    with (layout.conf / "queues.conf").open("a", encoding="utf-8") as f:
        f.write(members(site))
    for d in spool(site):
        d.mkdir(parents=True, exist_ok=True)
        if daemon_ids and os.geteuid() == 0:  # Asterisk writes here as its own user
            os.chown(d, *daemon_ids)
            os.chown(d.parent, *daemon_ids)
    return layout


def purge(site: Site) -> None:
    """Drop the twin's recordings after a run (a long search would fill the disk)."""
    for d in spool(site):
        for f in d.glob("twin-*"):
            f.unlink(missing_ok=True)
