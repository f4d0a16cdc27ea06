"""A host account of Asterisk's own, shared with the chroot: `tongdai-asterisk`.

Inside the Debian chroot Asterisk runs as the chroot's `asterisk` user, whose uid (101 from
the package) may be any account of the host: on these machines it was `postgres`. Acting as
that host user one could then read every SIP password and the AMI secret. So the host gets
a dedicated system user (never an existing account of another name), and the chroot's
`asterisk` user and group take its uid and gid; files the chroot owned under the old ids
are handed over.
"""
from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from config.settings import DAEMON_USER

__all__ = ["DAEMON_USER", "DaemonUserError", "host_ids", "chroot_ids", "share_with_chroot", "check_unique"]


class DaemonUserError(RuntimeError):
    pass


def host_ids(create: bool = True) -> tuple[int, int] | None:
    """uid/gid of the host's tongdai-asterisk user, created as a system user when missing."""
    try:
        pw = pwd.getpwnam(DAEMON_USER)
    except KeyError:
        if not create:
            return None
        done = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                               "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment", "tongdai Asterisk",
                               DAEMON_USER], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise DaemonUserError(f"useradd {DAEMON_USER} failed: {done.stderr.strip()}") from None
        pw = pwd.getpwnam(DAEMON_USER)
    return pw.pw_uid, pw.pw_gid


def _table(path: Path) -> list[list[str]]:
    return [line.split(":") for line in path.read_text().splitlines() if line.strip()]


def _write(path: Path, rows: list[list[str]]) -> None:
    tmp = path.with_name(path.name + ".tongdai")
    tmp.write_text("".join(":".join(r) + "\n" for r in rows))
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    tmp.replace(path)


def chroot_ids(root: Path) -> tuple[int, int] | None:
    for row in _table(root / "etc" / "passwd"):
        if row[0] == "asterisk":
            return int(row[2]), int(row[3])
    return None


def share_with_chroot(root: Path) -> tuple[int, int]:
    """Give the chroot's asterisk user the host's tongdai-asterisk ids; idempotent."""
    ids = host_ids()
    old = chroot_ids(root)
    if ids is None or old is None:
        raise DaemonUserError(f"no asterisk user in {root}/etc/passwd: reinstall with `tongdai pbx install`")
    if old == ids:
        return ids
    uid, gid = ids
    passwd, group = _table(root / "etc" / "passwd"), _table(root / "etc" / "group")
    for row in passwd:
        if row[0] != "asterisk" and int(row[2]) == uid:
            raise DaemonUserError(f"uid {uid} of {DAEMON_USER} is {row[0]} inside {root}")
    for row in group:
        if row[0] != "asterisk" and int(row[2]) == gid:
            raise DaemonUserError(f"gid {gid} of {DAEMON_USER} is group {row[0]} inside {root}")
    for row in passwd:
        if row[0] == "asterisk":
            row[2], row[3] = str(uid), str(gid)
    for row in group:
        if row[0] == "asterisk":
            row[2] = str(gid)
    _write(root / "etc" / "passwd", passwd)
    _write(root / "etc" / "group", group)
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (Path(top) / d).is_mount() and not (top == str(root) and d == "proc")]
        for name in (*dirs, *files):
            path = os.path.join(top, name)
            st = os.lstat(path)
            if st.st_uid == old[0] or st.st_gid == old[1]:
                os.lchown(path, uid if st.st_uid == old[0] else -1, gid if st.st_gid == old[1] else -1)
    return ids


def check_unique(uid: int) -> list[str]:
    """Host accounts with this uid (one expected: tongdai-asterisk)."""
    return [p.pw_name for p in pwd.getpwall() if p.pw_uid == uid]

