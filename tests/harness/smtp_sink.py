"""A real SMTP server for the tests: aiosmtpd's Controller (its own thread and event loop) on a free
loopback port, keeping every message it accepts for the test to read. Recipients listed in
`refuse` get a permanent 550, as a real server answers for an unknown mailbox. `stop()` and
`start()` again simulate an outage on the same port."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.harness.sipp import free_port


@dataclass(frozen=True)
class ReceivedMail:
    sender: str  # the envelope's MAIL FROM
    recipients: tuple[str, ...]
    message: EmailMessage  # parsed with the modern policy: headers and body decoded to text

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802 (aiosmtpd's name)
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.sink.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.changed:
            self.sink.received.append(ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), message))
            self.sink.changed.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.refuse = {a.lower() for a in refuse}
        self.received: list[ReceivedMail] = []
        self.changed = threading.Condition()
        self.port = free_port(socket.SOCK_STREAM)
        self.controller: Controller | None = None
        self.start()

    def start(self) -> None:
        # SMTPUTF8 on, as real servers have it: a Vietnamese display name may travel unencoded
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10) -> list[ReceivedMail]:
        """Until at least `count` messages have arrived; returns them all."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} messages arrived, expected {count}")
            return list(self.received)
