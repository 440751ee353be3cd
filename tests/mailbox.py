"""Reading mail the app sent: the .eml outbox, and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


def outbox(directory: Path) -> list[EmailMessage]:
    if not directory.is_dir():
        return []
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(directory.glob("*.eml"))
    ]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage, path: str) -> str:
    """The first link in the mail whose path starts with *path*, as a path for the test client."""
    found = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s\"<]*)", text_of(message))
    assert found, f"no {path} link in:\n{text_of(message)}"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Recorder:
    """An SMTP handler that keeps what it receives, or refuses it while told to."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    refusal: str = "451 4.3.0 try again later"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse_next:
            self.refuse_next -= 1
            return self.refusal
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpServer:
    def __init__(self, authenticator=None) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        kwargs = {}
        if authenticator is not None:
            kwargs = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()
