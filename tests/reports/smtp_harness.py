"""A real SMTP server on loopback that records what it accepts, and a dora.toml pointing at it."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "dora", "s3cret"
BLOCKED_DOMAIN = "@blocked.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    data: bytes


@dataclass
class RecordingHandler:
    """Keeps every mail it accepts; refuses recipients in BLOCKED_DOMAIN like a real MTA."""

    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith(BLOCKED_DOMAIN):
            return "550 5.1.1 <" + address + ">: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


def accept_test_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 or 535


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler


def serve_smtp(**kwargs):
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SmtpServer("127.0.0.1", port, handler)


def write_config(path: Path, port: int, username: str | None = None, **extra: str) -> Path:
    """A dora.toml whose [email] section points at the loopback server."""
    lines = [
        "[email]",
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {port}",
        'security = "none"',
        'sender = "dora@example.com"',
        'recipients = ["lead@example.com"]',
        'dashboard_url = "http://dashboard.example:8501"',
    ]
    if username:
        lines.append(f'username = "{username}"')
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
