"""`dora report` end to end: the CLI, the MIME message, and a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
import socket

import duckdb
import pytest
from snapshot_fixture import REPORT_WEEK, SCRIPT
from typer.testing import CliRunner

from flows.cli import app
from models.publish import snapshot_path
from reports import formatting as fmt
from tests.reports.smtp_harness import BLOCKED_DOMAIN, SMTP_PASSWORD, SMTP_USER, write_config

runner = CliRunner()
# aiosmtpd warns that the test server takes a login without TLS: on loopback that is the point
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _report(*args: str):
    return runner.invoke(app, ["report", *args])


def _one_error_line(result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def test_sent_email_has_both_parts_the_mart_figures_and_escaped_github_text(
    snapshot_db, smtp_server, tmp_path
):
    config = write_config(tmp_path / "dora.toml", smtp_server.port)
    result = _report(
        "--send", "--to", "a@example.com", "--to", "b@example.com",
        "--db", str(snapshot_db), "--config", str(config),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sent to a@example.com, b@example.com" in result.stdout

    [received] = smtp_server.handler.messages
    assert received.recipients == ["a@example.com", "b@example.com"]
    assert received.envelope_from == "dora@example.com"
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == (
        "DORA weekly 2026-W47 (16 Nov \u2013 22 Nov 2026): 7 production deployments, "
        "2 change failures"
    )
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html_part = message.get_body(preferencelist=("html",))
    html = html_part.get_content()
    assert (
        "http://dashboard.example:8501" in text and 'href="http://dashboard.example:8501"' in html
    )

    # the chart travels as an inline image the HTML points at by Content-ID
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'alt="Production deployments' in html  # readable with images blocked

    # every figure of the report week, as the dora_weekly mart holds it
    with duckdb.connect(str(snapshot_path(snapshot_db)), read_only=True) as con:
        rows = con.execute(
            "select repo, service, environment, deployments, lead_time_p50_seconds, "
            "change_fail_rate, recovery_p50_seconds, rework_rate from dora_weekly "
            "where week_start = ? and environment not like 'preview-%'",  # previews: counted only
            [REPORT_WEEK],
        ).fetchall()
    assert len(rows) == 3
    blocks = text.split("\n\n")
    for repo, service, environment, deployments, lead, cfr, recovery, rework in rows:
        name = repo if repo.endswith("/" + service) else f"{repo} · {service}"
        [block] = [b for b in blocks if b.startswith(f"{name} / {environment}\n")]
        lines = {line[:28].strip(): line[28:] for line in block.splitlines()[1:]}
        assert lines["Deployment frequency"].split()[0] == str(deployments)
        assert lines["Change lead time (median)"].startswith(f"{fmt.duration(lead):>10}")
        assert lines["Change fail rate"].split()[0] == f"{cfr * 100:.1f}%"
        assert lines["Recovery time (median)"].startswith(f"{fmt.duration(recovery):>10}")
        assert lines["Rework rate"].split()[0] == f"{rework * 100:.1f}%"
        assert f"<strong>{deployments}</strong>" in html
        assert f"<strong>{cfr * 100:.1f}%</strong>" in html

    # GitHub text: raw in the text part, escaped in HTML, never a live tag or a javascript: link
    assert SCRIPT in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "@mallory&lt;x&gt;" in html
    assert "javascript:" not in html


def test_without_send_it_writes_the_preview_beside_the_database(snapshot_db, tmp_path):
    result = _report("--week", "2026-11-18", "--db", str(snapshot_db))
    assert result.exit_code == 0, result.output
    eml = snapshot_db.parent / "reports" / "2026-11-16.eml"
    page = snapshot_db.parent / "reports" / "2026-11-16.html"
    assert eml.exists() and page.exists()
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"].startswith("DORA weekly 2026-W47")
    html = page.read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in html  # a browser shows the chart from disk
    assert "&lt;script&gt;" in html and "<script" not in html.lower()


def test_a_refused_connection_is_one_line(snapshot_db, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_config(tmp_path / "dora.toml", port)
    result = _report("--send", "--db", str(snapshot_db), "--config", str(config))
    line = _one_error_line(result)
    assert f"127.0.0.1:{port}" in line and "connection refused" in line


def test_a_failed_login_is_one_line_and_the_password_is_not_shown(
    snapshot_db, smtp_server_with_login, tmp_path, monkeypatch
):
    config = write_config(tmp_path / "dora.toml", smtp_server_with_login.port, username=SMTP_USER)
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-password")
    result = _report("--send", "--db", str(snapshot_db), "--config", str(config))
    line = _one_error_line(result)
    assert "login as 'dora'" in line and "535" in line
    assert "wrong-password" not in result.output
    assert smtp_server_with_login.handler.messages == []


def test_the_right_password_from_the_environment_logs_in(
    snapshot_db, smtp_server_with_login, tmp_path, monkeypatch
):
    config = write_config(tmp_path / "dora.toml", smtp_server_with_login.port, username=SMTP_USER)
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    result = _report("--send", "--db", str(snapshot_db), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert len(smtp_server_with_login.handler.messages) == 1


def test_a_missing_password_is_one_line(snapshot_db, smtp_server, tmp_path, monkeypatch):
    config = write_config(tmp_path / "dora.toml", smtp_server.port, username=SMTP_USER)
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    result = _report("--send", "--db", str(snapshot_db), "--config", str(config))
    assert "SMTP_PASSWORD is not set" in _one_error_line(result)


def test_a_rejected_recipient_is_one_line(snapshot_db, smtp_server, tmp_path):
    config = write_config(tmp_path / "dora.toml", smtp_server.port)
    blocked = "cto" + BLOCKED_DOMAIN
    result = _report("--send", "--to", blocked, "--db", str(snapshot_db), "--config", str(config))
    line = _one_error_line(result)
    assert "recipient refused" in line and blocked in line and "550" in line
    assert smtp_server.handler.messages == []


def test_one_rejected_recipient_among_several_still_fails(snapshot_db, smtp_server, tmp_path):
    config = write_config(tmp_path / "dora.toml", smtp_server.port)
    blocked = "cto" + BLOCKED_DOMAIN
    result = _report(
        "--send", "--to", "lead@example.com", "--to", blocked,
        "--db", str(snapshot_db), "--config", str(config),
    )  # fmt: skip
    line = _one_error_line(result)
    assert blocked in line and "delivered to the others" in line
    assert smtp_server.handler.messages[0].recipients == ["lead@example.com"]


def test_starttls_against_a_server_without_it_is_one_line(snapshot_db, smtp_server, tmp_path):
    config = tmp_path / "dora.toml"
    write_config(config, smtp_server.port)
    config.write_text(config.read_text().replace('"none"', '"starttls"'))
    result = _report("--send", "--db", str(snapshot_db), "--config", str(config))
    assert "STARTTLS" in _one_error_line(result)


def test_no_snapshot_is_one_line(tmp_path):
    result = _report("--db", str(tmp_path / "dora.duckdb"))
    assert "dora build" in _one_error_line(result)
