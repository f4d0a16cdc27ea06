"""The AMI client against the capture-driven fake Asterisk."""
import asyncio

import pytest

from acd.ami import AmiAuthError, AmiClient, AmiDisconnected, AmiError
from tests.harness.transcripts import FakeAmi

CAPTURE = "ami_queue_call_and_actions.txt"


@pytest.fixture
async def fake():
    server = FakeAmi(CAPTURE)
    await server.start()
    yield server
    await server.close()


async def client_for(fake, **kw):
    client = AmiClient("127.0.0.1", fake.port, "tongdai", kw.pop("secret", "secret"), **kw)
    await client.connect()
    return client


async def test_login_is_awaited_and_a_bad_secret_is_a_clear_error(fake):
    with pytest.raises(AmiAuthError, match="refused: Authentication failed"):
        await client_for(fake, secret="wrong")
    assert len([a for a in fake.actions if a["Action"] == "Login"]) == 1  # no silent retry loop


async def test_event_list_actions_return_their_events(fake):
    client = await client_for(fake)
    try:
        events = await client.action_list("QueueStatus")
        assert [e["Event"] for e in events] == ["QueueParams", "QueueMember", "QueueMember"]
        channels = await client.action_list("CoreShowChannels")
        assert {c["Channel"] for c in channels} == {"PJSIP/agent102-00000003", "PJSIP/caller-00000002"}
        bad = await client.action("NoSuchAction")
        assert bad["Response"] == "Error"
    finally:
        await client.close()


async def test_events_reach_handlers_and_a_failing_handler_does_not_stop_them(fake):
    seen = []
    client = AmiClient("127.0.0.1", fake.port, "tongdai", "secret")

    def broken(frame):
        raise ValueError("bug in a handler")

    client.handlers += [broken, lambda f: seen.append(f["Event"])]
    await client.connect()
    await asyncio.sleep(0.2)
    await client.close()
    assert "FullyBooted" in seen and "AgentConnect" in seen


async def test_reconnects_after_a_drop_and_runs_the_resync(fake):
    resyncs = []

    async def resync(client):
        resyncs.append(len(await client.action_list("QueueStatus")))

    client = AmiClient("127.0.0.1", fake.port, "tongdai", "secret", ping_interval=0.5)
    client.on_connect.append(resync)
    await client.connect()
    await asyncio.sleep(0.1)
    fake.drop()
    for _ in range(50):
        await asyncio.sleep(0.1)
        if client.connections == 2 and len(resyncs) == 2:
            break
    await client.close()
    assert client.connections == 2 and resyncs == [3, 3]


async def test_action_in_flight_at_a_disconnect_fails_and_is_never_resent(fake):
    client = await client_for(fake, ping_interval=0.5)
    fake.silent = True
    task = asyncio.create_task(client.action("Originate", Channel="PJSIP/agent102", Application="Playback",
                                             Data="beep", timeout=5))
    await asyncio.sleep(0.1)
    fake.drop()
    with pytest.raises(AmiDisconnected):
        await task
    fake.silent = False
    await asyncio.sleep(1.0)
    await client.close()
    assert len([a for a in fake.actions if a["Action"] == "Originate"]) == 1


async def test_silent_connection_is_detected_by_the_keepalive(fake):
    client = await client_for(fake, ping_interval=0.3, action_timeout=0.5)
    fake.silent = True  # half-open: nothing answers any more
    await asyncio.sleep(1.0)
    fake.silent = False
    for _ in range(30):
        await asyncio.sleep(0.1)
        if client.connections >= 2:
            break
    await client.close()
    assert client.connections >= 2


async def test_action_timeout(fake):
    client = await client_for(fake, ping_interval=30)
    fake.silent = True
    with pytest.raises(AmiError, match="no answer"):
        await client.action("QueueSummary", timeout=0.3)
    await client.close()
