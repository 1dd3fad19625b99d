"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping what it accepts.

`hold_first` makes it wait, after the first message's data has arrived and before it
answers, until the client goes away: a sender killed in the middle of sending."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    to: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


class Mailbox:
    """The aiosmtpd handler: what it accepted, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.hold_first = False
        self.holding = threading.Event()  # set while the first message is held
        self.dropped = 0  # messages whose sender went away before they were accepted

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.hold_first:
            self.hold_first = False
            self.holding.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                # aiosmtpd cancels the handler when the client's connection is lost:
                # the message was never accepted.
                with self._lock:
                    self.dropped += 1
                raise
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._received.append(Received(tuple(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()
