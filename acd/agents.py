"""The agent state machine, fed by app_queue's AMI events. Pure: no I/O, time is passed in.

States: logged_out, ready, ringing, talking, wrapup, paused (with a reason). Agents are
keyed by their queue member name, which tongdai sets to the agent's extension ("101")
whatever seat they sit at (events without a member name fall back to the interface). `apply()` returns the
state changes to persist as intervals and the requests the service must carry out (an
automatic pause after N rings without answer).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from acd.frames import Frame

STATES = ("logged_out", "ready", "ringing", "talking", "wrapup", "paused")
NO_ANSWER = "no answer"


@dataclass
class Member:
    member: str
    state: str = "logged_out"
    reason: str | None = None
    since: float = 0.0
    queues: set[str] = field(default_factory=set)
    unanswered: int = 0
    wrapup_until: float | None = None
    pause_after_call: str | None = None
    version: int = 0  # which move of the board this state is: a page keeps the newest it was told


@dataclass(frozen=True)
class Change:
    member: str
    state: str
    reason: str | None
    at: float


@dataclass(frozen=True)
class PauseRequest:
    member: str
    reason: str


class AgentBoard:
    def __init__(self, wrapup: dict[str, int], autopause_after: int = 2):
        self.wrapup, self.autopause_after = wrapup, autopause_after
        self.seats: dict[str, Member] = {}
        self.moves = 0

    def seat(self, member: str) -> Member:
        return self.seats.setdefault(member, Member(member))

    def _move(self, seat: Member, state: str, now: float, reason: str | None = None) -> list[Change]:
        if seat.state == state and seat.reason == reason:
            return []
        seat.state, seat.reason, seat.since = state, reason, now
        # increasing across engine restarts too (a page open through a restart keeps comparing)
        self.moves = max(self.moves + 1, int(now * 1_000_000))
        seat.version = self.moves
        if state != "wrapup":
            seat.wrapup_until = None
        return [Change(seat.member, state, reason, now)]

    def _idle(self, seat: Member, now: float) -> list[Change]:
        """Where a seat goes when a call attempt or a call ends."""
        if seat.pause_after_call:
            reason, seat.pause_after_call = seat.pause_after_call, None
            return self._move(seat, "paused", now, reason)
        return self._move(seat, "ready", now)

    def apply(self, event: Frame, now: float) -> tuple[list[Change], list[PauseRequest]]:
        name, member = event.get("Event"), event.get("MemberName") or event.get("Interface")
        if not member:
            return [], []
        seat = self.seat(member)
        queue = event.get("Queue", "")
        if name == "QueueMemberAdded":
            seat.queues.add(queue)
            if seat.state == "logged_out":
                paused = event.get("Paused") == "1"
                return self._move(seat, "paused" if paused else "ready", now,
                                  (event.get("PausedReason") or None) if paused else None), []
            return [], []
        if name == "QueueMemberRemoved":
            seat.queues.discard(queue)
            return (self._move(seat, "logged_out", now) if not seat.queues else []), []
        if name == "QueueMemberPause":
            if event.get("Paused") == "1":
                reason = event.get("PausedReason") or None
                if seat.state in ("ringing", "talking"):
                    seat.pause_after_call = reason or "paused"
                    return [], []
                return self._move(seat, "paused", now, reason), []
            seat.pause_after_call = None
            return (self._move(seat, "ready", now) if seat.state == "paused" else []), []
        if name == "AgentCalled":
            return (self._move(seat, "ringing", now) if seat.state in ("ready", "wrapup") else []), []
        if name in ("AgentRingNoAnswer", "AgentDump"):
            changes = self._idle(seat, now) if seat.state == "ringing" else []
            if name == "AgentRingNoAnswer":
                seat.unanswered += 1
                if seat.unanswered >= self.autopause_after:
                    seat.unanswered = 0
                    return changes, [PauseRequest(member, NO_ANSWER)]
            return changes, []
        if name == "AgentConnect":
            seat.unanswered = 0
            return self._move(seat, "talking", now), []
        if name == "AgentComplete":
            wrapup = self.wrapup.get(queue, 0)
            if seat.pause_after_call or not wrapup:
                return self._idle(seat, now), []
            changes = self._move(seat, "wrapup", now)
            seat.wrapup_until = now + wrapup
            return changes, []
        return [], []

    def tick(self, now: float) -> list[Change]:
        """End wrap-up periods that are over."""
        changes: list[Change] = []
        for seat in self.seats.values():
            if seat.state == "wrapup" and seat.wrapup_until is not None and now >= seat.wrapup_until:
                changes += self._idle(seat, now)
        return changes

    def resync(self, members: list[Frame], now: float) -> list[Change]:
        """Make the board equal to Asterisk's `QueueStatus` (its QueueMember entries)."""
        found: dict[str, list[Frame]] = {}
        for m in members:
            if m.get("Event") == "QueueMember":
                found.setdefault(m.get("Name") or m.get("Location", ""), []).append(m)
        changes: list[Change] = []
        for member, entries in found.items():
            seat = self.seat(member)
            seat.queues = {e.get("Queue", "") for e in entries}
            paused = next((e for e in entries if e.get("Paused") == "1"), None)
            if paused:
                changes += self._move(seat, "paused", now, paused.get("PausedReason") or None)
            elif any(e.get("InCall") == "1" for e in entries):
                changes += self._move(seat, "talking", now)
            elif seat.state in ("logged_out", "paused", "ringing", "talking"):
                changes += self._move(seat, "ready", now)
        for member, seat in self.seats.items():
            if member not in found and seat.state != "logged_out":
                seat.queues.clear()
                changes += self._move(seat, "logged_out", now)
        return changes

    def picture(self) -> dict[str, tuple[str, str | None, frozenset[str]]]:
        """Logged-in members: name -> (state, reason, queues)."""
        return {i: (s.state, s.reason, frozenset(s.queues)) for i, s in self.seats.items() if s.state != "logged_out"}
