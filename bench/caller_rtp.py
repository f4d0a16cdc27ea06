"""What a benchmark caller says: a pcap of G.711 A-law RTP with the menu digits in it (RFC 4733).

SIPp's `play_pcap_audio` replays it from the moment the call is answered, so Asterisk gets the
caller's media at once (its Answer() otherwise waits up to 500 ms for a first voice frame, on
both the engine's path and the plain dialplan's). The digits travel in the same stream, at the
times the caller would press them: one stream, no second SIPp media thread cancelling the first.

The voice is the A-law payload of SIPp's own `g711a.pcap` (sip-tester), looped; A-law silence
when that file is absent.
"""
from __future__ import annotations

import random
import socket
import struct
from pathlib import Path

from bench.pcap import packets

SIPP_SAMPLE = Path("/usr/share/sip-tester/g711a.pcap")
FRAME = 160  # 20 ms of 8 kHz A-law
PCMA, EVENT = 8, 96  # payload types; 96 is what the scenario's SDP offers for telephone-event
EVENT_CODES = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
EVENT_MS, EVENT_VOLUME = 100, 10


def voice(sample: Path = SIPP_SAMPLE) -> bytes:
    """The A-law bytes of a G.711 A-law capture (payload type 8), or one frame of silence."""
    if sample.exists():
        data = b"".join(p[3][12:] for p in packets(sample) if len(p[3]) > 12 and p[3][1] & 0x7F == PCMA)
        if data:
            return data
    return b"\xd5" * FRAME


def rtp_stream(seconds: float, digits: list[tuple[int, str]], audio: bytes) -> list[tuple[float, bytes]]:
    """(time s, RTP packet) every 20 ms for `seconds`: voice, and each (ms, digit) as an RFC 4733
    event of 100 ms (voice paused meanwhile, three end packets, as phones send them)."""
    out: list[tuple[float, bytes]] = []
    seq, ssrc = 0, 0x7D22
    events = {ms // 20: d for ms, d in digits}
    tick, end, pos = 0, int(seconds * 50), 0

    def packet(pt: int, marker: bool, stamp: int, payload: bytes) -> bytes:
        nonlocal seq
        seq = (seq + 1) & 0xFFFF
        return struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq, stamp & 0xFFFFFFFF, ssrc) + payload

    while tick < end:
        if tick in events:
            code, start = EVENT_CODES[events[tick]], tick * FRAME
            frames = EVENT_MS // 20
            for i in range(frames):
                body = struct.pack("!BBH", code, EVENT_VOLUME, (i + 1) * FRAME)
                out.append(((tick + i) * 0.02, packet(EVENT, i == 0, start, body)))
            final = struct.pack("!BBH", code, 0x80 | EVENT_VOLUME, frames * FRAME)
            for _ in range(3):  # the end is repeated: one lost packet must not hold the digit down
                out.append(((tick + frames - 1) * 0.02, packet(EVENT, False, start, final)))
            tick += frames
            continue
        chunk = audio[pos:pos + FRAME]
        if len(chunk) < FRAME:
            pos, chunk = 0, audio[:FRAME]
        pos += FRAME
        out.append((tick * 0.02, packet(PCMA, tick == 0, tick * FRAME, chunk)))
        tick += 1
    return out


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def write_pcap(path: Path, stream: list[tuple[float, bytes]], sport: int = 6000, dport: int = 6002) -> Path:
    """A classic pcap (Ethernet, IPv4, UDP on loopback); SIPp rewrites addresses and ports per call."""
    frames = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for t, rtp in stream:
        udp = struct.pack("!HHHH", sport, dport, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
        frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
        sec, usec = divmod(int(round(t * 1_000_000)), 1_000_000)
        frames.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        frames.append(frame)
    path.write_bytes(b"".join(frames))
    return path


def caller_pcap(path: Path, seconds: float, digits: list[tuple[int, str]]) -> Path:
    """The pcap a benchmark caller plays: `seconds` of voice with `digits` ((ms after answer, key))."""
    return write_pcap(path, rtp_stream(seconds, digits, voice()))


def media_base() -> int:
    """SIPp's media port (-mp), free now. The callers' ports ([auto_media_port]) run up to 10,000
    above it: from 30000 they stay clear of Asterisk's RTP range (below 30000 in test sites), so the
    capture never takes a caller's packet for Asterisk's."""
    for _ in range(50):
        base = random.randrange(30000, 50000, 4)
        try:
            for port in (base, base + 2):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                    probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free media port for SIPp")
