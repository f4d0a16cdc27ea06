"""Time from answer to first prompt, as the caller experiences it, from a loopback capture.

Asterisk sends no RTP to an answered caller until it plays something, so the first RTP
packet from the port Asterisk offered in its `200 OK` marks the start of the first prompt.
Works the same for the engine's IVR and the plain-dialplan baseline.
"""
from __future__ import annotations

import heapq
import re
import struct
from pathlib import Path

_SDP_PORT = re.compile(rb"\r\nm=audio (\d+) ")
_CALL_ID = re.compile(rb"\r\n(?:Call-ID|i):\s*(\S+)", re.I)


def packets(path: Path):
    """(time, src_port, dst_port, payload) of the UDP/IPv4 packets in a pcap (Ethernet or Linux SLL)."""
    data = path.read_bytes()
    if len(data) < 24:
        return
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link = {1: 14, 113: 16, 276: 20}.get(linktype, 14)
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        ip = frame[link:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        yield sec + frac / (1e9 if nano else 1e6), sport, dport, ip[ihl + 8:]


def first_prompt_delays(sip_pcap: Path, rtp_pcap: Path, sip_port: int) -> list[float]:
    """Seconds from each call's 200 OK (INVITE) to the first RTP packet from Asterisk's port.
    SIP is captured whole, RTP only in its first bytes (two captures, merged by time)."""
    waiting: dict[int, list[float]] = {}  # Asterisk RTP port -> answer times not yet matched
    seen: set[bytes] = set()
    delays: list[float] = []
    for t, sport, _, payload in heapq.merge(packets(sip_pcap), packets(rtp_pcap), key=lambda p: p[0]):
        if sport == sip_port:
            if payload.startswith(b"SIP/2.0 200") and b"INVITE" in payload.split(b"\r\nCSeq:", 1)[-1][:40]:
                port, call_id = _SDP_PORT.search(payload), _CALL_ID.search(payload)
                if port and call_id and call_id.group(1) not in seen:  # retransmitted 200 OKs count once
                    seen.add(call_id.group(1))
                    waiting.setdefault(int(port.group(1)), []).append(t)
        elif sport in waiting and payload[:1] == b"\x80":
            delays.append(t - waiting[sport].pop(0))
            if not waiting[sport]:
                del waiting[sport]
    return delays


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
