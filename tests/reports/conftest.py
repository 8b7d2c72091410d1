"""Fixtures for the weekly email: a hand-built snapshot and a real SMTP server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_fixture import build_snapshot

from tests.reports.smtp_harness import accept_test_login, serve_smtp


@pytest.fixture
def snapshot_db(tmp_path: Path) -> Path:
    """A working-database path whose published snapshot is the hand-built fixture."""
    db = tmp_path / "dora.duckdb"
    build_snapshot(tmp_path / "dora.published.duckdb")
    return db


@pytest.fixture
def smtp_server():
    """A plain SMTP server (no TLS, no login)."""
    controller, server = serve_smtp()
    yield server
    controller.stop()


@pytest.fixture
def smtp_server_with_login():
    """An SMTP server that requires LOGIN/PLAIN as SMTP_USER / SMTP_PASSWORD."""
    controller, server = serve_smtp(
        authenticator=accept_test_login,
        auth_required=True,
        auth_require_tls=False,
    )
    yield server
    controller.stop()
