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
    """Feed bytes, get whole frames. The login banner line is not a frame and is skipped."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[Frame]:
        self.buffer += data
        frames = []
        while b"\r\n\r\n" in self.buffer:
            block, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            if block.startswith(b"Asterisk Call Manager/") and b"\r\n" in block:
                block = block.split(b"\r\n", 1)[1]
            elif block.startswith(b"Asterisk Call Manager/"):
                continue
            frames.append(parse(block))
        return frames


def endpoint(channel: str) -> str:
    """'PJSIP/agent103-0000000a' -> 'PJSIP/agent103': the device a channel belongs to."""
    return channel.rsplit("-", 1)[0]
