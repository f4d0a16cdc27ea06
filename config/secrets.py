"""Generated passwords, kept outside git in the site's secrets file (mode 0600).

New names get a fresh random secret; existing ones are never changed, so phones stay
registered across renders.
"""
from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the settings module imports nothing of ours either; this is for the type only
    from config.settings import Site


def load_or_create(path: Path, names: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    if path.exists():
        known = {k: str(v) for k, v in tomllib.loads(path.read_text(encoding="utf-8")).items()}
    missing = [n for n in names if n not in known]
    if missing:
        pins = {v for k, v in known.items() if k.startswith("pin")}
        for n in missing:
            if n.startswith("pin") and n != "pin_salt":  # agent PINs: 6 digits, unique
                pin = f"{secrets.randbelow(10**6):06d}"
                while pin in pins:
                    pin = f"{secrets.randbelow(10**6):06d}"
                pins.add(pin)
                known[n] = pin
            else:
                known[n] = secrets.token_urlsafe(18)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# tongdai generated secrets: SIP passwords and the AMI secret. Keep private.\n")
            f.writelines(f'{k} = "{v}"\n' for k, v in sorted(known.items()))
        os.replace(tmp, path)
    return known


def site_secret_names(site: Site) -> list[str]:
    """SIP passwords per seat, the AMI secret, and the demo agents' PINs."""
    return (["ami", "pin_salt"] + [f"agent{e}" for e in site.agents.extensions]
            + [f"supervisor{e}" for e in site.supervisors.extensions]
            + [f"pin{e}" for e in site.agents.extensions])
