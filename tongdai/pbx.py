"""Asterisk 22 for tongdai: find it, install it, start and stop it by PID.

A system `asterisk` (>= 20) on PATH is used as is. Otherwise, as root on Debian/Ubuntu,
`install` builds a Debian sid chroot (minbase) with Asterisk 22 in the site's cache dir.
Inside the chroot, the site's directories are bind-mounted at their own absolute paths
(in a private mount namespace that dies with the process), so the engine and Asterisk
name the same files by the same paths: the path mapping is the identity.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from asterisk_conf import Layout
from tongdai import daemon_user
from config import Site

MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("asterisk", "asterisk-core-sounds-en-wav", "asterisk-moh-opsound-wav")
READY = ".tongdai-ready"
PIDFILE = "tongdai-asterisk.pid"
UMASK = 0o027  # Asterisk's files (recordings, voicemail, CDR, logs): no world access


class PbxError(RuntimeError):
    """Asterisk cannot be found, installed or started; the message says what to do."""


@dataclass(frozen=True)
class Pbx:
    """How to run Asterisk: a system binary, or the one inside a chroot."""

    binary: str
    version: str
    root: Path | None = None  # the chroot, or None for a system asterisk

    def argv(self, layout: Layout, *args: str, run_as_daemon_user: bool = False) -> list[str]:
        cmd = [self.binary, "-C", str(layout.asterisk_conf), *args]
        if run_as_daemon_user and os.geteuid() == 0 and self.daemon_ids():
            cmd += ["-U", "asterisk", "-G", "asterisk"]
        if self.root is None:
            return cmd
        # mount points inside the chroot are traversable (umask 022), whatever the host folders' modes
        steps = ["set -e", "umask 022"]
        for path in _outermost([layout.conf, layout.spool, layout.recordings, layout.prompts]):
            inside = shlex.quote(f"{self.root}{path}")
            steps.append(f"mkdir -p {inside} && mount --bind {shlex.quote(str(path))} {inside}")
        steps.append(f"umask {UMASK:03o}")
        steps.append(f"exec chroot {shlex.quote(str(self.root))} {shlex.join(cmd)}")
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "; ".join(steps)]

    def daemon_ids(self) -> tuple[int, int] | None:
        """uid/gid of the `asterisk` user Asterisk runs as (the chroot's own when chrooted)."""
        passwd = (self.root or Path("/")) / "etc" / "passwd"
        for line in passwd.read_text().splitlines():
            parts = line.split(":")
            if parts[0] == "asterisk":
                return int(parts[2]), int(parts[3])
        return None


def _outermost(paths: list[Path]) -> list[Path]:
    """Drop paths inside another listed path: one bind mount covers them."""
    unique = sorted(set(paths), key=lambda p: len(p.parts))
    return [p for i, p in enumerate(unique) if not any(p.is_relative_to(q) for q in unique[:i])]


def _version(argv: list[str]) -> str:
    out = subprocess.run(argv + ["-V"], capture_output=True, text=True, timeout=30).stdout.strip()
    return out.removeprefix("Asterisk ").strip()


def _major(version: str) -> int:
    m = re.match(r"(\d+)", version)
    return int(m.group(1)) if m else 0


def chroot_dir(site: Site) -> Path:
    return site.pbx.cache_dir / "sid"


def locate(site: Site) -> Pbx:
    """The Asterisk to use, or PbxError telling how to get one."""
    system = shutil.which("asterisk")
    if system:
        version = _version([system])
        if _major(version) >= 20:
            return Pbx(system, version)
    root = chroot_dir(site)
    if (root / READY).exists():
        return Pbx("/usr/sbin/asterisk", (root / READY).read_text().strip(), root)
    raise PbxError(
        f"no Asterisk >= 20 found (system: {system or 'none'}; chroot: {root} not installed). "
        "Run `tongdai pbx install` as root on Debian/Ubuntu (builds a Debian sid chroot, ~700 MB, ~1 min), "
        "or install Asterisk 20+ so that `asterisk` is on PATH.")


Say = Callable[[str], None]


def _step(say: Say, n: int, total: int, title: str, argv: list[str], env: dict | None = None) -> None:
    """Run one install step, showing progress every few seconds and the time it took."""
    say(f"[{n}/{total}] {title}")
    start = last = time.monotonic()
    lines, tail = 0, ""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", env={**os.environ, **(env or {})})
    recent: list[str] = []
    for line in proc.stdout:
        lines += 1
        tail = line.strip() or tail
        recent = (recent + [line.rstrip()])[-15:]
        if time.monotonic() - last > 3:
            last = time.monotonic()
            say(f"      ... {last - start:5.1f} s, {lines} lines: {tail[:90]}")
    if proc.wait() != 0:
        raise PbxError(f"step {n} ({title}) failed with exit code {proc.returncode}; last output:\n"
                       + "\n".join(recent))
    say(f"      done in {time.monotonic() - start:.1f} s")


def install(site: Site, say: Say = print) -> Pbx:
    """Make an Asterisk >= 20 available. Idempotent: returns at once when one exists."""
    try:
        pbx = locate(site)
        say(f"Asterisk {pbx.version} already available ({pbx.root or pbx.binary})")
        _own_user(pbx, say)
        return pbx
    except PbxError:
        pass
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        raise PbxError("cannot install Asterisk: building the Debian sid chroot needs root on Debian/Ubuntu. "
                       "Run `sudo tongdai pbx install`, or install Asterisk 20+ so that `asterisk` is on PATH.")
    root = chroot_dir(site)
    partial = root.with_name(root.name + ".partial")
    total = 4
    started = time.monotonic()
    if not shutil.which("debootstrap"):
        _step(say, 0, total, "apt-get install debootstrap (host)",
              ["apt-get", "install", "-y", "-q", "--no-install-recommends", "debootstrap"],
              {"DEBIAN_FRONTEND": "noninteractive"})
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    _step(say, 1, total, f"debootstrap --variant=minbase sid {partial} (about 20 s)",
          ["debootstrap", "--variant=minbase", "sid", str(partial), MIRROR])
    for name in ("hosts", "resolv.conf"):  # without the host name in /etc/hosts every call stalls on DNS
        shutil.copyfile(f"/etc/{name}", partial / "etc" / name)
    in_chroot = f"mount -t proc proc {shlex.quote(str(partial / 'proc'))} && exec chroot {shlex.quote(str(partial))} "
    apt = "apt-get -o Acquire::Check-Valid-Until=false -o Acquire::Retries=3 -q"
    _step(say, 2, total, "apt-get update inside the chroot (sid's Release reads as expired; allowed)",
          ["unshare", "--mount", "--propagation", "private", "sh", "-c", in_chroot + f"{apt} update"])
    _step(say, 3, total, f"apt-get install {' '.join(PACKAGES)} (about 15 s)",
          ["unshare", "--mount", "--propagation", "private", "sh", "-c",
           in_chroot + f"{apt} install -y --no-install-recommends {' '.join(PACKAGES)}"],
          {"DEBIAN_FRONTEND": "noninteractive"})
    say(f"[4/{total}] checking the installed Asterisk")
    version = _version(["chroot", str(partial), "/usr/sbin/asterisk"])
    if _major(version) < 20:
        raise PbxError(f"the chroot has Asterisk {version!r}; tongdai needs 20 or newer")
    subprocess.run(["chroot", str(partial), "apt-get", "clean"], check=False)
    (partial / READY).write_text(version + "\n")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    say(f"Asterisk {version} installed in {root} in {time.monotonic() - started:.0f} s")
    pbx = Pbx("/usr/sbin/asterisk", version, root)
    _own_user(pbx, say)
    return pbx


def _own_user(pbx: Pbx, say: Say = print) -> None:
    """As root with the chroot: Asterisk runs as the host's dedicated tongdai-asterisk user."""
    if pbx.root is None or os.geteuid() != 0:
        return
    before = daemon_user.chroot_ids(pbx.root)
    try:
        uid, gid = daemon_user.share_with_chroot(pbx.root)
    except daemon_user.DaemonUserError as e:
        raise PbxError(str(e)) from None
    if before != (uid, gid):
        was = before[0] if before else "?"
        say(f"Asterisk runs as host user {daemon_user.DAEMON_USER} (uid {uid}, gid {gid}; was uid {was})")


def prepare(pbx: Pbx, layout: Layout) -> None:
    """Let the daemon user read the config, prompts and stored recordings (they stay tongdai's) and
    write its own directories, and nobody else: folders are 2750 (new files keep its group, so
    the engine's stored voicemail stays playable for callbacks), files 0640. Folders tongdai did not
    create are never changed: a system Asterisk that cannot reach its folders is an error that names
    the folder."""
    ids = pbx.daemon_ids() if os.geteuid() == 0 else None
    for d in layout.writable():
        d.mkdir(parents=True, exist_ok=True)
    if not ids:
        return
    _own_user(pbx)
    uid, gid = pbx.daemon_ids() or ids
    for d in (layout.conf, layout.prompts, layout.recordings):  # read by Asterisk, written by tongdai only
        _hand_over(d, os.geteuid(), gid)
    for d in layout.writable():
        if d != layout.recordings:
            _hand_over(d, uid, gid)
    if pbx.root is None:  # chrooted, Asterisk reaches its folders through bind mounts
        for d in (layout.prompts, *layout.writable(), layout.conf):
            blocked = [p for p in d.parents if p != Path("/") and not p.stat().st_mode & 0o001
                       and p.stat().st_uid != uid]
            if blocked:
                raise PbxError(f"Asterisk (user asterisk) cannot reach {d}: {blocked[-1]} is closed to other users; "
                               f"move the site's data folder, or open {blocked[-1]} yourself")


def _hand_over(top: Path, uid: int, gid: int) -> None:
    for path in (top, *top.rglob("*")):
        os.chown(path, uid, gid, follow_symlinks=False)
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(0o2750 if path.is_dir() else (mode & 0o750) | 0o640)


def start(pbx: Pbx, layout: Layout, log: Path | None = None, timeout: float = 60) -> subprocess.Popen:
    """Start Asterisk in the foreground (-f) as a child, wait until fully booted."""
    prepare(pbx, layout)
    for stale in (layout.run / "asterisk.ctl", layout.run / "asterisk.pid"):
        stale.unlink(missing_ok=True)
    console = log or layout.log / "console.log"
    out = open(os.open(console, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640), "ab")
    os.chmod(console, 0o640)  # whoever starts it (a shell with umask 022): no world access
    proc = subprocess.Popen(pbx.argv(layout, "-f", "-n", run_as_daemon_user=True), stdin=subprocess.DEVNULL,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, umask=UMASK)
    out.close()
    pidfile = layout.run / PIDFILE
    pidfile.write_text(f"{proc.pid}\n")
    pidfile.chmod(0o640)
    deadline = time.monotonic() + timeout
    while not (layout.run / "asterisk.ctl").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise PbxError(f"Asterisk did not start (exit {proc.returncode}); see {layout.log}/console.log "
                           f"and {layout.log}/messages.log")
        time.sleep(0.05)
    rx(pbx, layout, "core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
    return proc


def rx(pbx: Pbx, layout: Layout, command: str, timeout: float = 15) -> str:
    """Run one Asterisk CLI command (`asterisk -rx`) and return its output."""
    done = subprocess.run(pbx.argv(layout, "-rx", command), capture_output=True, text=True, timeout=timeout)
    return done.stdout


def stop(proc: subprocess.Popen | int, grace: float = 10) -> None:
    """Stop an Asterisk we started, by PID: SIGTERM, then SIGKILL after `grace` seconds."""
    pid = proc if isinstance(proc, int) else proc.pid
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if isinstance(proc, subprocess.Popen):
            if proc.poll() is not None:
                return
        elif not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    if isinstance(proc, subprocess.Popen):
        proc.wait()


def running_pid(layout: Layout) -> int | None:
    """PID of the Asterisk `tongdai pbx start` left running for this layout, if alive."""
    try:
        pid = int((layout.run / PIDFILE).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    return pid if b"asterisk" in cmdline and str(layout.asterisk_conf).encode() in cmdline else None
