"""Nothing lost when the engine cannot answer in time: 50 calls arrive while the FastAGI server
takes no new session for 3 s (the engine's test hook, `TONGDAI_TEST_AGI_STALL_S` + SIGUSR1).

Forty callers wait: the engine serves them once the stall is over. Ten give up before anyone
answered (CANCEL after 1.5 s): the engine never serves their calls (their channel is gone when it
reads the session), so only Asterisk's CDR knows them, and reconciliation puts them in the books.
Afterwards every one of the 50 callers has exactly one ticket, and `recordings verify` is clean.
Nothing here depends on timing: a call that lands after the stall is served like any other.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from db import store
from tests.conftest import TEST_QUEUES, EngineProcess, start_pbx
from tests.harness import sipp
from tests.harness.cli import cli
from tongdai import pbx as pbxmod

pytestmark = pytest.mark.pbx  # its own Asterisk, so its recordings store is its own to verify
WAITERS, QUITTERS = 40, 10

# A citizen who hangs up before the call is answered: CANCEL (the INVITE's branch: element 0,
# SIPp's [branch-N] counts back from the element it is in), then the ACK of the 487.
QUITTER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="quitter">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Citizen" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:[field0]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=citizen 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 8 0 96
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000
      a=rtpmap:96 telephone-event/8000
      a=fmtp:96 0-15
      a=sendrecv
    ]]>
  </send>
  <recv response="100"/>
  <pause milliseconds="1500"/>
  <send>
    <![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: "Citizen" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
  <recv response="487"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-6]
      From: "Citizen" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
</scenario>
"""


def _place(site, xml: Path, numbers: list[str], rate: float) -> tuple[int, int]:
    """`len(numbers)` calls, one per number, all at once at `rate` a second; bounded in time."""
    csv = xml.with_suffix(".csv")
    csv.write_text("SEQUENTIAL\n" + "".join(f"{n};\n" for n in numbers))
    argv = [sipp.sipp_binary(), f"127.0.0.1:{site.ports.sip}", "-sf", str(xml), "-inf", str(csv), "-s", "1022",
            "-i", "127.0.0.1", "-p", str(sipp.free_port()), "-m", str(len(numbers)), "-l", str(len(numbers)),
            "-r", f"{rate:.0f}", "-rp", "1000", *sipp._rtp_range(len(numbers)), "-nostdin", "-trace_err",
            "-trace_stat", "-fd", "1", "-timeout", "90s", "-timeout_error", "-max_socket", "1024"]
    subprocess.run(argv, cwd=xml.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return sipp._stats(xml.parent, xml.stem + "_")


def _tickets(site, numbers: list[str], timeout: float) -> dict[str, list[dict]]:
    """Each number's tickets, once every number has one that is closed (or `timeout` passed)."""
    db = store.connect(site.paths.database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            found = {n: [store.as_dict(t) for t in store.list_tickets(db, caller=n)] for n in numbers}
            if all(any(t["status"] != "in_call" for t in found[n]) for n in numbers) or time.monotonic() > deadline:
                return found
            time.sleep(0.5)
    finally:
        db.dispose()


def _spool_empty(site, timeout: float) -> list[str]:
    """Recordings still waiting in the spool once the engine has taken all it can (or `timeout`)."""
    closed = site.paths.spool / "closed"
    deadline = time.monotonic() + timeout
    while True:
        waiting = sorted(p.name for p in closed.glob("*")) if closed.exists() else []
        if not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(0.3)


def test_calls_during_a_fastagi_stall_are_all_in_the_books(tmp_path, monkeypatch):
    own = start_pbx(tmp_path / "pbx", queues=TEST_QUEUES, callbacks={"offer_after_s": 0, "auto": False},
                    desk={"outcome_required": False})
    site = own.site
    monkeypatch.setenv("TONGDAI_TEST_AGI_STALL_S", "3")
    eng = EngineProcess(site, tmp_path / "engine.log")
    restarted = None
    try:
        eng.wait_log("ACD picture synced")
        waiters = [f"0907{i:06d}" for i in range(WAITERS)]
        quitters = [f"0908{i:06d}" for i in range(QUITTERS)]
        wait_xml = sipp.write_citizen(tmp_path, [("pause", 2000)], caller="[field0]", name="waiter")
        quit_xml = tmp_path / "quitter.xml"
        quit_xml.write_text(QUITTER)
        results: dict[str, tuple[int, int]] = {}
        threads = [threading.Thread(target=lambda: results.__setitem__("wait", _place(site, wait_xml, waiters, 40))),
                   threading.Thread(target=lambda: results.__setitem__("quit", _place(site, quit_xml, quitters, 10)))]
        os.kill(eng.proc.pid, signal.SIGUSR1)
        eng.wait_log("FastAGI stalled")
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        eng.wait_log("FastAGI stall over")
        assert results["wait"] == (WAITERS, 0), results  # served once the stall was over
        # the callers who gave up are not asserted on: one whose CANCEL came after the answer is
        # simply a short call the engine served; either way it must be in the books below

        served = _tickets(site, waiters, timeout=60)
        assert all(len(served[n]) == 1 for n in waiters), served
        # reconciliation from CDR (at start, then every minute): a restart runs it now
        eng.stop()
        restarted = EngineProcess(site, tmp_path / "engine-2.log")
        restarted.wait_log("ACD picture synced")
        books = _tickets(site, waiters + quitters, timeout=60)
        missing = [n for n, found in books.items() if not found]
        assert not missing, f"{len(missing)} of the 50 calls have no ticket: {missing}\n{restarted.log()[-3000:]}"
        doubles = {n: [t["code"] for t in found] for n, found in books.items() if len(found) > 1}
        assert not doubles, doubles
        assert all(t["status"] != "in_call" for found in books.values() for t in found), books

        assert _spool_empty(site, timeout=30) == []
        verify = cli(site, "recordings", "verify")  # exit 0: nothing missing, corrupt or orphaned
        ok = int(verify.stdout.strip().splitlines()[-1].split()[0])
        assert ok >= WAITERS and " 0 missing, 0 corrupt, 0 orphaned" in verify.stdout, verify.stdout
    finally:
        if restarted:
            restarted.stop()
        eng.stop()
        pbxmod.stop(own.proc)
