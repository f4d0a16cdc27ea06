"""AMI framing: `Key: Value` lines, a frame ends at a blank line (`\\r\\n\\r\\n` on the wire).

Bytes are buffered until a whole frame is there and only then decoded, so a UTF-8
character split across TCP chunks ('Nguyễn') arrives whole.
"""
from __future__ import annotations

Frame = dict[str, str]


def encode(action: str, **fields: str) -> bytes:
    lines = [f"Action: {action}"]
    for key, value in fields.items():
        clean = "".join(ch for ch in str(value) if ch not in "\r\n")
        lines.append(f"{key}: {clean}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def parse(block: bytes) -> Frame:
    frame: Frame = {}
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            frame.setdefault(key.strip(), value.strip())
    return frame


class FrameBuffer:
    """Feed bytes, get whole frames. The login banner line is not a frame and is skipped.

    `ignore`: names of events nobody reads. Such a frame is dropped from its first line, before
    it is decoded (AMI sends `Event:` first), unless it answers one of our actions (ActionID).
    """

    def __init__(self, ignore: frozenset[str] = frozenset()) -> None:
        self.buffer = b""
        self.ignore = frozenset(f"Event: {name}\r\n".encode() for name in ignore)
        self.dropped = 0

    def feed(self, data: bytes) -> list[Frame]:
        # one pass over the bytes: splitting the rest off after every frame copied a 64 KB read
        # once per frame in it
        buffer = self.buffer + data if self.buffer else data
        frames: list[Frame] = []
        start = 0
        while (end := buffer.find(b"\r\n\r\n", start)) >= 0:
            block, start = buffer[start:end], end + 4
            if block.startswith(b"Asterisk Call Manager/"):
                if b"\r\n" not in block:
                    continue
                block = block.split(b"\r\n", 1)[1]
            if self.ignore and self._ignored(block):
                self.dropped += 1
                continue
            frames.append(parse(block))
        self.buffer = buffer[start:]
        return frames

    def _ignored(self, block: bytes) -> bool:
        head = block[:block.find(b"\r\n") + 2] if b"\r\n" in block else block + b"\r\n"
        return head in self.ignore and b"ActionID:" not in block


def endpoint(channel: str) -> str:
    """'PJSIP/agent103-0000000a' -> 'PJSIP/agent103': the device a channel belongs to."""
    return channel.rsplit("-", 1)[0]
