"""SIP brute force and scans: Asterisk's AMI security events, counted per address.

Every failed authentication (wrong password, unknown account, ACL) is logged; an address that
fails `ban_after` times within `window_s` is banned for `ban_minutes`: its packets to the SIP
port are dropped by nftables, in the engine's own table (`inet tongdai_<sip port>`, a set with
element timeouts, so bans lift by themselves; the table goes when the engine stops). Loopback
and the trunk's address are never banned. Without nft or root the ban is reported, not enforced.

The same table keeps the FastAGI port to Asterisk's user (and the engine's own): a local
process of any other user cannot open a session at all (`meta skuid`). A session that does
connect must still name a live channel (checked over AMI by the engine).
"""
from __future__ import annotations

import asyncio
import logging
import os
import pwd
import shutil
import subprocess
import time
from collections import defaultdict, deque
from typing import Any

from acd.frames import Frame
from db.writer import TicketBook
from config.settings import DAEMON_USER
from config import Site

log = logging.getLogger("tongdai.security")
FAILURES = {"InvalidPassword", "ChallengeResponseFailed", "InvalidAccountID", "FailedACL", "RequestNotAllowed"}


def agi_users() -> set[int]:
    """Who may open a FastAGI session: Asterisk's user (tongdai-asterisk, or a system Asterisk's
    `asterisk`) and the engine's own user."""
    uids = {os.geteuid()}
    for name in (DAEMON_USER, "asterisk"):
        try:
            uids.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            pass  # not on this host
    return uids


def address(remote: str) -> str:
    """'IPV4/UDP/127.0.0.2/5062' -> '127.0.0.2'."""
    parts = remote.split("/")
    return parts[2] if len(parts) >= 4 else remote


class SecurityWatch:
    def __init__(self, site: Site, book: TicketBook):
        self.site, self.book = site, book
        s = site.security
        self.ban_after, self.window, self.minutes = s.ban_after, s.window_s, s.ban_minutes
        self.never = {"127.0.0.1", site.trunk.host, *s.allow}
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.banned: dict[str, float] = {}
        self.reported = 0
        self.table = f"tongdai_{site.ports.sip}"
        self.enforce = bool(shutil.which("nft")) and os.geteuid() == 0
        self.jobs: set[asyncio.Task[None]] = set()

    def _nft(self, script: str) -> bool:
        done = subprocess.run(["nft", "-f", "-"], input=script, capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            log.error("nft: %s", done.stderr.strip())
        return done.returncode == 0

    def start(self) -> None:
        if not self.enforce:
            log.warning("SIP bans are reported but not enforced (needs root and nft)")
            return
        port, agi = self.site.ports.sip, self.site.ports.agi
        uids = ", ".join(str(u) for u in sorted(agi_users()))
        self.enforce = self._nft(
            f"table inet {self.table} {{\n set banned {{ type ipv4_addr; flags timeout; }}\n"
            f" chain input {{ type filter hook input priority -10; policy accept;\n"
            f"  ip saddr @banned udp dport {port} drop\n  ip saddr @banned tcp dport {port} drop\n }}\n"
            f" chain output {{ type filter hook output priority -10; policy accept;\n"
            f"  tcp dport {agi} meta skuid != {{ {uids} }} reject with tcp reset\n }}\n}}\n")
        if self.enforce:
            log.info("FastAGI port %d open to uid(s) %s only", agi, uids)

    def close(self) -> None:
        if self.enforce:
            self._nft(f"delete table inet {self.table}\n")

    def on_event(self, name: str, e: Frame) -> None:
        if name not in FAILURES:
            return
        ip = address(e.get("RemoteAddress", ""))
        now = time.monotonic()
        q = self.failures[ip]
        q.append(now)
        while q and q[0] < now - self.window:
            q.popleft()
        self.reported += 1
        if len(q) <= self.ban_after:
            log.warning("SIP security: %s from %s (account %r, service %s)", name, ip, e.get("AccountID"),
                        e.get("Service"))
        if len(q) >= self.ban_after and ip not in self.never and self.banned.get(ip, 0) < now:
            self.banned[ip] = now + self.minutes * 60
            task = asyncio.create_task(self._ban(ip, len(q), name))
            self.jobs.add(task)
            task.add_done_callback(self.jobs.discard)

    async def _ban(self, ip: str, failures: int, last: str) -> None:
        enforced = self.enforce and await asyncio.to_thread(
            self._nft, f"add element inet {self.table} banned {{ {ip} timeout {self.minutes}m }}\n")
        log.error("SIP security: %s banned for %d min after %d failures (last: %s)%s", ip, self.minutes, failures,
                  last, "" if enforced else " (not enforced: no nft/root)")
        self.book.audit("engine", "ban", target=ip, failures=failures, minutes=self.minutes, last=last,
                        enforced=enforced)

    def picture(self) -> dict[str, Any]:
        now = time.monotonic()
        return {"failures_reported": self.reported, "enforced": self.enforce,
                "banned": sorted(ip for ip, until in self.banned.items() if until > now)}
