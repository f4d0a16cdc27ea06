"""Test sites: the demo site with free loopback ports and its own data directory."""
from __future__ import annotations

import socket
import tomllib
from pathlib import Path
from collections.abc import Callable

from config import DEMO_SITE, Site, load_site

from tests.harness.sipp import free_port

# Set by the `backend` fixture while a test runs on PostgreSQL: gives each new site a fresh database.
new_database_url: Callable[[], str] | None = None


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


def dump(data: dict, prefix: str = "") -> str:
    """TOML text of `data`: tables, arrays of tables and sub-tables ([desk.required])."""
    out = []
    for name, table in data.items():
        rows = table if isinstance(table, list) else [table]
        for row in rows:
            out.append(f"[[{prefix}{name}]]" if isinstance(table, list) else f"[{prefix}{name}]")
            out += [f"{k} = {_toml_value(v)}" for k, v in row.items()
                    if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict))]
            out.append("")
            nested = {k: v for k, v in row.items()
                      if isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))}
            if nested:
                out.append(dump(nested, f"{prefix}{name}."))
    return "\n".join(out)


def _distinct_ports() -> tuple[int, int, int, int, int]:
    """Free ports for SIP (UDP) and AMI, FastAGI, web, public (TCP), never the same twice: the kernel
    may hand out a port just released, and the site loader rightly refuses two services on one port."""
    while True:
        ports = (free_port(), free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM),
                 free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM))
        if len(set(ports)) == len(ports):
            return ports


def make_site(base: Path, demo_hours: bool = False, **changes: dict) -> Site:
    """Write `base/site.toml`: the demo site on free ports, data in `base/data`, with `changes`
    merged per table (e.g. hours={"mon": "closed"}). Open around the clock with no holidays,
    unless `demo_hours` keeps the demo's 07:30-17:30 and Vietnam's public holidays."""
    data = tomllib.loads(DEMO_SITE.read_text(encoding="utf-8"))
    rtp = 20000 + (free_port() % 400) * 20
    sip, ami, agi, web, public = _distinct_ports()
    data["ports"].update(sip=sip, ami=ami, agi=agi, web=web, public=public, rtp_start=rtp, rtp_end=rtp + 1999)
    data["paths"] = {"data": str(base / "data")}
    if new_database_url is not None:
        data["paths"]["database_url"] = new_database_url()
    data["site"]["ivr"] = str(DEMO_SITE.with_name("demo-ivr.toml"))
    data["trunk"].update(port=free_port(), channels=600)  # load tests go past a 6-E1 site's 180
    data["callbacks"].update(offer_after_s=0, auto=False)  # tests that want them turn them on
    if not demo_hours:  # a test's outcome never depends on when it runs
        data["hours"] = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        data["holidays"] = {"country": "", "extra": []}
    for table, values in changes.items():
        if isinstance(values, dict):
            data.setdefault(table, {}).update(values)
        else:
            data[table] = values
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    (base / "site.toml").write_text(dump(data), encoding="utf-8")
    return load_site(base / "site.toml")


def variant(site: Site, path: Path, **changes: dict) -> Path:
    """Another site file for the same PBX (same ports and paths), with `changes` per table."""
    data = tomllib.loads(site.file.read_text(encoding="utf-8"))
    for table, values in changes.items():
        data.setdefault(table, {}).update(values)
    path.write_text(dump(data), encoding="utf-8")
    return path
