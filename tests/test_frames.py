"""AMI framing against the captured frames (tests/fixtures/ami_*.txt)."""
import random

import pytest

from acd.frames import FrameBuffer, encode
from tests.harness.transcripts import ami_frames


@pytest.mark.parametrize("file", ["ami_events_during_agi_call.txt", "ami_queue_call_and_actions.txt"])
def test_every_captured_frame_parses_whatever_the_chunking(file):
    wire = b"".join(ami_frames(file))
    whole = FrameBuffer().feed(wire)
    rng = random.Random(7)
    buffer, chunked, i = FrameBuffer(), [], 0
    while i < len(wire):
        n = rng.randint(1, 97)
        chunked += buffer.feed(wire[i:i + n])
        i += n
    assert chunked == whole
    assert whole[0]["Response"] == "Success" and whole[1]["Event"] == "FullyBooted"
    assert len(whole) == len(ami_frames(file)) - 1  # the banner is not a frame


def test_queue_status_event_list_ends_with_complete():
    frames = FrameBuffer().feed(b"".join(ami_frames("ami_queue_call_and_actions.txt")))
    names = [f.get("Event") for f in frames]
    assert "QueueStatusComplete" in names and "CoreShowChannelsComplete" in names


def test_vietnamese_name_split_across_chunks_arrives_whole():
    wire = "Event: Newchannel\r\nCallerIDName: Nguyễn Văn A\r\n\r\n".encode()
    cut = wire.index("ễ".encode()) + 1  # inside the multi-byte letter
    buffer = FrameBuffer()
    assert buffer.feed(wire[:cut]) == []
    assert buffer.feed(wire[cut:]) == [{"Event": "Newchannel", "CallerIDName": "Nguyễn Văn A"}]


def test_encode_strips_line_breaks_from_values():
    assert encode("Originate", Channel="PJSIP/agent101\r\nAction: Command") == \
        b"Action: Originate\r\nChannel: PJSIP/agent101Action: Command\r\n\r\n"


async def test_fake_ami_plays_the_capture_to_a_client():
    import asyncio
    from tests.harness.ami import AmiTap
    from tests.harness.transcripts import FakeAmi

    fake = FakeAmi("ami_queue_call_and_actions.txt")
    await fake.start()
    tap = await asyncio.to_thread(AmiTap, fake.port, "secret")
    tap.send("QueueStatus", ActionID="mine-1")
    try:
        complete = await asyncio.to_thread(tap.wait_event, "QueueStatusComplete", 5)
        assert complete["EventList"] == "Complete"
        assert tap.events("AgentConnect")
    finally:
        tap.close()
        await fake.close()
