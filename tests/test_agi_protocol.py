"""The FastAGI reader against every captured session (tests/fixtures/agi_*.txt)."""
import asyncio

import pytest

from agi_scripts import commands as c
from agi_scripts.protocol import AgiCommandError, CallHangup, parse_reply, read_environment
from agi_scripts.server import FastAgiServer
from tests.harness.transcripts import FakeAsterisk, agi_sessions


async def replay(session, route, environment=None):
    server = FastAgiServer({"ivr": route}, sounds=__import__("pathlib").Path("/tmp"), port=0)
    await server.start()
    fake = FakeAsterisk(session, environment)
    try:
        await asyncio.wait_for(fake.run(server.port), 10)
    finally:
        await server.close()
    return fake


async def test_basic_session_every_answer_parsed_in_step():
    session = agi_sessions("agi_session_basic.txt")[0]
    seen = {}

    async def route(call):
        ch = call.channel
        seen["env"] = (call.env.script, call.env.args, call.caller_number, call.uniqueid)
        for command, _ in session.exchanges:
            try:
                seen[command] = await ch.send(command)
            except (AgiCommandError, c.AppMissing) as e:
                seen[command] = e

    fake = await replay(session, route)
    assert seen["env"] == ("ivr", {"province": "demo"}, "0901", "1795391208.0")
    assert seen["GET VARIABLE CHANNEL"].data == "PJSIP/caller-00000000"
    assert c.GetVariable("NO_SUCH_VAR").parse(seen["GET VARIABLE NO_SUCH_VAR"]) is None
    assert seen["GET DATA beep 3000 4"].raw == "15" and seen["GET DATA beep 3000 4"].data == "timeout"
    assert c.GetData("beep", 3000, 4).parse(seen["GET DATA beep 3000 4"]) == "15"
    assert seen['STREAM FILE no-such-file ""'].result == -1 and seen['STREAM FILE no-such-file ""'].endpos == 0
    assert seen["RECORD FILE /var/spool/asterisk/vm-test wav \"#\" 3000 0 BEEP s=2"].data == "timeout"
    with pytest.raises(c.AppMissing):
        c.Exec("NoSuchApplication", "foo").parse(seen["EXEC NoSuchApplication foo"])
    assert isinstance(seen["BOGUS COMMAND"], AgiCommandError)
    # HANGUP arrived before the answer to GET VARIABLE DIALSTATUS: the answer was still consumed
    # and the hangup raised; the flow stopped there and the server closed the socket.
    assert "GET VARIABLE DIALSTATUS" not in seen
    assert fake.commands[-1] == "GET VARIABLE DIALSTATUS"
    assert fake.closed_by_server


async def test_hangup_during_stream_file_raises_once_and_stops_the_flow():
    session = agi_sessions("agi_hangup_during_command.txt")[0]
    reached = []

    async def route(call):
        await call.answer()
        reached.append(await call.channel.send(session.exchanges[1][0]))
        await call.ask("beep", 3000, 4)  # HANGUP then 511: raises CallHangup
        reached.append("after hangup")

    fake = await replay(session, route)
    assert len(reached) == 1 and reached[0].result == -1
    assert fake.commands == ["ANSWER", session.exchanges[1][0], 'GET DATA "beep" 3000 4']
    assert fake.closed_by_server


async def test_520_usage_answer_is_read_to_its_end():
    session = agi_sessions("agi_session_basic.txt")[0]
    session.exchanges = [("GET DATA", ["520-Invalid command syntax.  Proper usage follows:\n",
                                       "Usage: GET DATA <file to be streamed> [timeout] [max digits]\n",
                                       "520 End of proper usage.\n"]),
                         ("ANSWER", ["200 result=0\n"])]
    results = []

    async def route(call):
        with pytest.raises(AgiCommandError, match="End of proper usage"):
            await call.channel.send("GET DATA")
        results.append(await call.channel.send("ANSWER"))

    await replay(session, route)
    assert results[0].code == 200 and results[0].result == 0  # still in step after the 520 block


async def test_health_check_and_vietnamese_caller_name():
    session = agi_sessions("agi_session_basic.txt")[0]
    server = FastAgiServer({}, sounds=__import__("pathlib").Path("/tmp"), port=0)
    await server.start()
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)  # connect and close, no header
    writer.close()
    await asyncio.sleep(0.1)
    await server.close()
    assert server.active == 0

    names = []

    async def route(call):
        names.append(call.caller_name)

    vietnamese = [line if not line.startswith("agi_calleridname") else "agi_calleridname: Nguyễn Văn A\n"
                  for line in session.environment]
    await replay(session, route, vietnamese)
    assert names == ["Nguyễn Văn A"]


def test_decode_is_lenient():
    from agi_scripts.protocol import decode
    assert decode("Nguyễn\n".encode()) == "Nguyễn"
    assert decode(b"Nguy\xe9n\n") == "Nguy\ufffdn"


@pytest.mark.parametrize("line, code, result, data, endpos", [
    ("200 result=0", 200, 0, None, None),
    ("200 result=1 (PJSIP/caller-00000000)", 200, 1, "PJSIP/caller-00000000", None),
    ("200 result=-1 endpos=24160", 200, -1, None, 24160),
    ("200 result=0 (timeout) endpos=0", 200, 0, "timeout", 0),
    ("200 result= (timeout)", 200, 0, "timeout", None),
    ("511 Command Not Permitted on a dead channel or intercept routine", 511, 0, None, None),
])
def test_parse_reply(line, code, result, data, endpos):
    r = parse_reply(line)
    assert (r.code, r.result, r.data, r.endpos) == (code, result, data, endpos)


def test_hostile_values_are_quoted_and_stripped():
    assert c.SetVariable("CALLER", 'x"\nEXEC System rm\\').line() == 'SET VARIABLE CALLER "x\\"EXEC System rm\\\\"'
    assert c.StreamFile("welcome", "12#x").line() == 'STREAM FILE "welcome" "12#"'
    with pytest.raises(ValueError):
        c.Exec("System;rm", "").line()
    with pytest.raises(ValueError):
        c.GetVariable("A B").line()


def test_several_variables_in_one_round_trip():
    get = c.GetVariables(("CONTEXT", "QUEUESTATUS"))
    assert get.line() == 'GET FULL VARIABLE "${CONTEXT}|${QUEUESTATUS}"'
    assert get.parse(parse_reply("200 result=1 (tongdai-queue-exit|TIMEOUT)")) == ["tongdai-queue-exit", "TIMEOUT"]
    assert get.parse(parse_reply("200 result=1 (from-trunk|)")) == ["from-trunk", ""]  # unset: empty
    assert get.parse(parse_reply("200 result=0")) == [None, None]
    with pytest.raises(ValueError):
        c.GetVariables(("A}${SHELL(rm)",)).line()


async def test_hangup_raises_callhangup_for_any_later_command():
    session = agi_sessions("agi_hangup_during_command.txt")[0]
    caught = []

    async def route(call):
        try:
            await call.channel.send("ANSWER")
            await call.channel.send(session.exchanges[1][0])
            await call.channel.send("GET DATA beep 3000 4")
        except CallHangup:
            caught.append("hangup")
            with pytest.raises(CallHangup):
                await call.channel.send("EXEC Playback beep")  # never reaches the wire
            raise

    fake = await replay(session, route)
    assert caught == ["hangup"] and len(fake.commands) == 3


async def test_a_line_break_inside_a_caller_id_stays_in_its_value():
    # Asterisk un-escapes %0D%0A in a SIP From user into agi_callerid: the break must not end or
    # split the environment, nor reach a command.
    reader = asyncio.StreamReader()
    reader.feed_data(b"agi_network: yes\nagi_network_script: ivr\nagi_callerid: 0905\r\nEXEC System(x)\n"
                     b"agi_calleridname: A\x07B\nagi_uniqueid: 1.2\n\n")
    reader.feed_eof()
    env = await read_environment(reader)
    assert env["agi_callerid"] == "0905 EXEC System(x)"
    assert env["agi_calleridname"] == "A B" and env["agi_uniqueid"] == "1.2"
