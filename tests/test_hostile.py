"""Hostile input on the real Asterisk: toll fraud, password guessing, caller-ID injection, AMI."""
from __future__ import annotations

import socket
import subprocess
import time

import jinja2

from db import store
from tests.harness import sipp
from tests.harness.tickets import kinds

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(sipp.SCENARIOS), undefined=jinja2.StrictUndefined)


def refused(site, workdir, service: str, source: str = "127.0.0.1", caller: str = "0905000999",
            name: str = "Stranger") -> bool:
    xml = workdir / f"stranger-{source}-{service}.xml"
    xml.write_text(_env.get_template("stranger.xml.j2").render(caller=caller, caller_name=name))
    done = subprocess.run([sipp.sipp_binary(), f"127.0.0.1:{site.ports.sip}", "-sf", str(xml), "-s", service,
                           "-i", source, "-p", str(sipp.free_port()), "-m", "1", "-nostdin", "-timeout", "10s",
                           "-timeout_error"], cwd=workdir, capture_output=True, timeout=30)
    return done.returncode == 0


def test_unknown_address_and_premium_or_international_numbers_never_reach_the_trunk(real_pbx, engine, ami, workdir):
    site = real_pbx.site
    assert refused(site, workdir, "1022", source="127.0.0.2")  # not the trunk's address, no credentials
    for number in ("00442079460000", "+84905123456", "19001234", "113", "agent101", "*21101"):
        assert refused(site, workdir, number), number  # from the trunk: only the hotline exists
    time.sleep(1)
    assert ami.events("DialBegin") == []
    # the stranger's INVITE made no channel at all; each number from the trunk got one, hung up at once
    created = [e["Uniqueid"] for e in ami.events("Newchannel")]
    assert len(created) == 6
    assert {e["Cause"] for e in ami.events("Hangup") if e["Uniqueid"] in created} == {"1"}  # unallocated number


def register(site, workdir, user, password, source) -> subprocess.CompletedProcess:
    xml = workdir / f"register-{user}-{source}.xml"
    xml.write_text(_env.get_template("register.xml.j2").render(user=user, password=password, contact_port=5999))
    return subprocess.run([sipp.sipp_binary(), f"127.0.0.1:{site.ports.sip}", "-sf", str(xml), "-i", source,
                           "-p", str(sipp.free_port()), "-m", "1", "-nostdin", "-timeout", "6s", "-timeout_error",
                           "-trace_err"], cwd=workdir, capture_output=True, timeout=30)


def test_password_guessing_is_refused_reported_and_banned(real_pbx, engine, ami, workdir):
    site = real_pbx.site
    engine.wait_log("ACD picture synced")
    for _ in range(5):
        assert register(site, workdir, "agent105", "guess-123", "127.0.0.3").returncode != 0
    failure = ami.wait_event("ChallengeResponseFailed", timeout=5) if ami.events("ChallengeResponseFailed") else \
        ami.wait_event("InvalidPassword", timeout=5)
    assert "127.0.0.3" in failure["RemoteAddress"]
    engine.wait_log("SIP security: 127.0.0.3 banned")
    banned = subprocess.run(["nft", "list", "set", "inet", f"tongdai_{site.ports.sip}", "banned"],
                            capture_output=True, text=True).stdout
    assert "127.0.0.3" in banned
    # the right password from the banned address gets no answer at all; the seat itself is fine
    assert register(site, workdir, "agent105", real_pbx.secrets["agent105"], "127.0.0.3").returncode != 0
    assert register(site, workdir, "agent105", real_pbx.secrets["agent105"], "127.0.0.1").returncode == 0
    db = store.connect(site.paths.database_url)
    with db.connect() as c:
        rows = c.exec_driver_sql("select actor, target from audit where action = 'ban'").all()
    assert ("engine", "127.0.0.3") in rows


def test_caller_id_cannot_inject_agi_or_dialplan(real_pbx, engine, workdir, ami):
    site = real_pbx.site
    name = 'Evil\\" ; EXEC System(touch /tmp/tongdai-pwned) ; HANGUP \\"'
    steps = [("pause", 1500), ("dtmf", "2"), ("pause", 1500), ("dtmf", "4"), ("pause", 1500)]
    xml = sipp.write_citizen(workdir, steps, caller="0905%0D%0AEXEC", caller_name=name, name="injector")
    result = sipp.call(site.ports.sip, xml)
    assert result.successful == 1, str(result)
    time.sleep(2)
    engine_log = engine.log()
    assert "pwned" not in "".join(e.get("Command", "") for e in ami.events("AGIExecStart"))
    assert not __import__("pathlib").Path("/tmp/tongdai-pwned").exists()
    tickets = [t for t in store.list_tickets(store.connect(site.paths.database_url)) if t.call
               and "EXEC" in (t.call.caller_number or "") + (t.call.caller_name or "")]
    assert tickets, engine_log[-2000:]
    t = store.as_dict(tickets[-1])
    assert "\n" not in t["caller_number"] and "\r" not in t["caller_number"]
    assert kinds(t)[:4] == ["answer", "menu", "menu", "report"]


def test_ami_only_on_loopback_with_the_secret(real_pbx):
    port = real_pbx.site.ports.ami
    addresses = [a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
                 if "." in a and not a.startswith("127.")]
    assert addresses, "this machine has no non-loopback address to test from"
    for a in addresses:
        try:
            socket.create_connection((a, port), timeout=3).close()
            raise AssertionError(f"AMI answers on {a}:{port}")
        except OSError:
            pass

    def login(source: str, secret: str) -> str:
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.recv(1024)  # banner
        s.sendall(f"Action: Login\r\nUsername: tongdai\r\nSecret: {secret}\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
        s.close()
        return answer.decode(errors="replace")

    assert "Authentication accepted" in login("127.0.0.1", real_pbx.secrets["ami"])
    assert "Authentication failed" in login("127.0.0.1", "not-the-secret")
    assert "Authentication failed" in login("127.0.0.2", real_pbx.secrets["ami"])  # permit is 127.0.0.1 only
