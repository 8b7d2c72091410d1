"""STARTTLS and implicit TLS against real aiosmtpd servers with a certificate made by the test."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from flows.cli import app
from tests.reports.smtp_harness import (
    SMTP_PASSWORD,
    SMTP_USER,
    RecordingHandler,
    accept_test_login,
    free_port,
)
from tests.reports.smtp_harness import write_config as write_plain_config

runner = CliRunner()
# implicit TLS is TLS, though aiosmtpd warns it is not (it cannot see it)
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1; returns (cert file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture(params=["starttls", "tls"])
def tls_server(request, certificate):
    """An SMTP server that needs a login over STARTTLS, or speaks TLS from the first byte."""
    handler, port = RecordingHandler(), free_port()
    tls = {"tls_context": _server_context(certificate), "require_starttls": True}
    if request.param == "tls":
        # aiosmtpd cannot tell an implicit-TLS socket from plain text: it would hide AUTH
        tls = {"ssl_context": _server_context(certificate), "auth_require_tls": False}
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=accept_test_login,
        auth_required=True,
        **tls,
    )
    controller.start()
    yield request.param, port, handler
    controller.stop()


def _config(tmp_path, security: str, port: int):
    config = write_plain_config(tmp_path / "dora.toml", port, username=SMTP_USER)
    config.write_text(config.read_text().replace('"none"', f'"{security}"'))
    return config


def test_login_and_delivery_over_tls(snapshot_db, tls_server, certificate, tmp_path, monkeypatch):
    security, port, handler = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test's own CA
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    config = _config(tmp_path, security, port)
    result = runner.invoke(
        app, ["report", "--send", "--db", str(snapshot_db), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    [received] = handler.messages
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"].startswith("DORA weekly 2026-W47")


def test_an_untrusted_certificate_is_one_line(snapshot_db, tls_server, tmp_path, monkeypatch):
    security, port, handler = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent-ca.pem")  # the test's CA is not trusted
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    config = _config(tmp_path, security, port)
    result = runner.invoke(
        app, ["report", "--send", "--db", str(snapshot_db), "--config", str(config)]
    )
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: TLS") and f"127.0.0.1:{port}" in line
    assert "CERTIFICATE_VERIFY_FAILED" in line
    assert handler.messages == []
