"""How each emergency transfer ended, from AMI: the service, its answer, ring and talk time.

Whoever put the citizen through (the IVR's Dial, an agent's transfer into the emergency
context, a phone's REFER), Asterisk reports DialBegin/DialEnd on the citizen's channel and a
Hangup of the service's leg. Taken from there, the outcome is known even when the citizen
hangs up first and the flow has already closed the ticket.
"""
from __future__ import annotations

from dataclasses import dataclass

from acd.frames import Frame
from db.writer import TicketBook, TicketHandle
from config import Site


@dataclass
class _Dial:
    ticket: TicketHandle
    service: str
    began: float
    status: str = ""
    answered: float | None = None


class EmergencyCalls:
    def __init__(self, site: Site, book: TicketBook):
        self.book = book
        # Dial(PJSIP/113@trunk) shows as DialString "113@trunk"
        self.targets = {f"{n}@{site.trunk.name}": n for n in site.emergency.numbers.values()}
        self.dials: dict[str, _Dial] = {}  # the service leg's uniqueid -> its dial

    def on_event(self, name: str, e: Frame, now: float) -> None:
        if name == "DialBegin":
            service = self.targets.get(e.get("DialString", ""))
            ticket = self.book.handle(e.get("Uniqueid", "")) if service else None
            if service and ticket:
                self.dials[e.get("DestUniqueid", "")] = _Dial(ticket, service, now)
        elif name == "DialEnd":
            dial = self.dials.get(e.get("DestUniqueid", ""))
            if dial is None:
                return
            dial.status = e.get("DialStatus", "")
            if dial.status == "ANSWER":
                dial.answered = now
            else:
                self._ended(e.get("DestUniqueid", ""), now)
        elif name == "Hangup" and e.get("Uniqueid", "") in self.dials:
            self._ended(e.get("Uniqueid", ""), now)

    def _ended(self, leg: str, now: float) -> None:
        dial = self.dials.pop(leg)
        rang_until = dial.answered if dial.answered is not None else now
        talk = now - dial.answered if dial.answered is not None else 0.0
        dial.ticket.event("emergency", step="ended", service=dial.service, outcome=dial.status or "HANGUP",
                          ring_s=round(rang_until - dial.began, 1), talk_s=round(talk, 1))
