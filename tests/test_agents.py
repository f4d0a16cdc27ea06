"""The agent state machine, fed by the captured AMI frames and by synthetic sequences."""
from acd.agents import NO_ANSWER, AgentBoard, PauseRequest
from acd.frames import FrameBuffer
from tests.harness.transcripts import ami_frames

FRAMES = FrameBuffer().feed(b"".join(ami_frames("ami_queue_call_and_actions.txt")))


def ev(name, interface="PJSIP/agent101", **kw):
    return {"Event": name, "Interface": interface, "Queue": kw.pop("Queue", "operator"), **kw}


def test_capture_resync_then_call_sequence():
    board = AgentBoard({"q-test": 0})
    members = [f for f in FRAMES if f.get("Event") == "QueueMember"]
    board.resync(members, 0)
    assert board.picture()["PJSIP/agent101"][0] == "ready"
    assert board.picture()["PJSIP/agent102"][0] == "talking"  # InCall: 1 in the capture
    calls = [f for f in FRAMES if f.get("Event", "").startswith("Agent")]
    assert [f["Event"] for f in calls] == ["AgentCalled", "AgentConnect", "AgentComplete"]
    board = AgentBoard({"q-test": 0})
    board.resync(members, 0)
    board.seats["PJSIP/agent102"].state = "ready"
    states = []
    for i, f in enumerate(calls):
        changes, _ = board.apply(f, i)
        states += [c.state for c in changes]
    assert states == ["ringing", "talking", "ready"]


def test_login_pause_unpause_logout():
    board = AgentBoard({})
    assert [c.state for c in board.apply(ev("QueueMemberAdded"), 1)[0]] == ["ready"]
    assert board.apply(ev("QueueMemberAdded", Queue="admin"), 1)[0] == []  # a second queue: same person
    [change] = board.apply(ev("QueueMemberPause", Paused="1", PausedReason="lunch"), 2)[0]
    assert (change.state, change.reason) == ("paused", "lunch")
    assert board.apply(ev("QueueMemberPause", Paused="0"), 3)[0][0].state == "ready"
    assert board.apply(ev("QueueMemberRemoved"), 4)[0] == []
    assert board.apply(ev("QueueMemberRemoved", Queue="admin"), 4)[0][0].state == "logged_out"


def test_wrapup_then_ready_after_its_time():
    board = AgentBoard({"operator": 10})
    board.apply(ev("QueueMemberAdded"), 0)
    board.apply(ev("AgentCalled"), 1)
    board.apply(ev("AgentConnect"), 2)
    assert board.apply(ev("AgentComplete", TalkTime="30"), 32)[0][0].state == "wrapup"
    assert board.tick(40) == []
    assert board.tick(42)[0].state == "ready"


def test_ring_no_answer_twice_requests_a_pause():
    board = AgentBoard({}, autopause_after=2)
    board.apply(ev("QueueMemberAdded"), 0)
    board.apply(ev("AgentCalled"), 1)
    changes, requests = board.apply(ev("AgentRingNoAnswer"), 16)
    assert [c.state for c in changes] == ["ready"] and requests == []
    board.apply(ev("AgentCalled"), 16)
    changes, requests = board.apply(ev("AgentRingNoAnswer"), 31)
    assert [c.state for c in changes] == ["ready"]
    assert requests == [PauseRequest("PJSIP/agent101", NO_ANSWER)]


def test_pause_during_a_call_applies_when_it_ends():
    board = AgentBoard({"operator": 5})
    board.apply(ev("QueueMemberAdded"), 0)
    board.apply(ev("AgentConnect"), 1)
    assert board.apply(ev("QueueMemberPause", Paused="1", PausedReason="break"), 2)[0] == []
    [change] = board.apply(ev("AgentComplete"), 9)[0]
    assert (change.state, change.reason) == ("paused", "break")


def test_resync_logs_out_seats_asterisk_does_not_know():
    board = AgentBoard({})
    board.apply(ev("QueueMemberAdded", interface="PJSIP/agent105"), 0)
    changes = board.resync([], 5)
    assert [(c.member, c.state) for c in changes] == [("PJSIP/agent105", "logged_out")]
    assert board.picture() == {}


def test_every_move_is_newer_than_the_last_even_in_the_same_instant_and_after_a_restart():
    """The desk keeps the newest state it was told: a click's answer may arrive after a push."""
    board = AgentBoard({})
    board.apply(ev("QueueMemberAdded"), 100.0)
    seat = board.seats["PJSIP/agent101"]
    seen = [seat.version]
    for paused in ("1", "0", "1"):
        board.apply(ev("QueueMemberPause", Paused=paused), 100.0)  # the same instant
        seen.append(seat.version)
    assert seen == sorted(set(seen))
    restarted = AgentBoard({})  # a new engine, later: its versions continue above the old ones
    restarted.apply(ev("QueueMemberAdded"), 101.0)
    assert restarted.seats["PJSIP/agent101"].version > seen[-1]
