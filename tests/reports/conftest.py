"""Fixtures for the weekly email: a hand-built snapshot and a real SMTP server on loopback."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from snapshot_fixture import build_snapshot

SMTP_USER, SMTP_PASSWORD = "dora", "s3cret"
BLOCKED_DOMAIN = "@blocked.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def snapshot_db(tmp_path: Path) -> Path:
    """A working-database path whose published snapshot is the hand-built fixture."""
    db = tmp_path / "dora.duckdb"
    build_snapshot(tmp_path / "dora.published.duckdb")
    return db


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


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
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


def _serve(**kwargs):
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SmtpServer("127.0.0.1", port, handler)


@pytest.fixture
def smtp_server():
    """A plain SMTP server (no TLS, no login)."""
    controller, server = _serve()
    yield server
    controller.stop()


@pytest.fixture
def smtp_server_with_login():
    """An SMTP server that requires LOGIN/PLAIN as SMTP_USER / SMTP_PASSWORD."""
    controller, server = _serve(
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    yield server
    controller.stop()


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
