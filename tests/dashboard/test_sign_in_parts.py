"""The parts of sign-in that need no browser: the start-up decision, the secrets file, kept links."""

from __future__ import annotations

import os
import stat
import tomllib

import pytest
from auth_config import CLIENT_SECRET, COOKIE_SECRET

from dashboard import AUTH_ENV, deep_links
from dashboard.launch import LaunchRefused, is_loopback, plan
from settings.dashboard import DashboardAuthSettings

AUTH = DashboardAuthSettings(
    discovery_url="https://id.example.com/.well-known/openid-configuration",
    client_id="dora",
    allowed_domains=["@Example.com"],
)
SECRETS = {"DORA_DASHBOARD_CLIENT_SECRET": CLIENT_SECRET, "DORA_DASHBOARD_COOKIE_SECRET": COOKIE_SECRET}  # fmt: skip


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.4", False), ("dora.internal", False)],
)  # fmt: skip
def test_loopback_is_only_this_machine(host, loopback):
    assert is_loopback(host) is loopback


def test_without_auth_a_non_loopback_host_is_refused_naming_the_fix():
    with pytest.raises(LaunchRefused, match=r"\[dashboard.auth\].*--no-auth"):
        plan(None, "http://localhost:8501", "0.0.0.0", 8501, no_auth=False, environ={})
    assert plan(None, "http://localhost:8501", "127.0.0.1", 8501, no_auth=False).env == {AUTH_ENV: "off"}  # fmt: skip


def test_no_auth_serves_anywhere_and_warns():
    launch = plan(AUTH, "http://localhost:8501", "0.0.0.0", 8501, no_auth=True, environ={})
    assert launch.env == {AUTH_ENV: "off"} and launch.options == []
    assert "nobody signs in" in launch.warning and "0.0.0.0:8501" in launch.warning


@pytest.mark.parametrize(
    ("environ", "message"),
    [({}, "DORA_DASHBOARD_CLIENT_SECRET"),
     ({"DORA_DASHBOARD_CLIENT_SECRET": "x", "DORA_DASHBOARD_COOKIE_SECRET": "short"}, "at least 32")],
)  # fmt: skip
def test_auth_needs_both_secrets_from_the_environment(environ, message):
    with pytest.raises(LaunchRefused, match=message):
        plan(AUTH, "http://localhost:8501", "0.0.0.0", 8501, no_auth=False, environ=environ)


def test_secrets_go_to_a_private_file_streamlit_alone_is_pointed_at(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_HOME", str(tmp_path / "home"))
    launch = plan(AUTH, "https://dora.example.com/", "0.0.0.0", 8600, no_auth=False, environ=SECRETS)  # fmt: skip
    assert launch.env == {AUTH_ENV: "oidc"}
    flag, path = launch.options
    assert flag == "--secrets.files" and path == str(tmp_path / "home" / "dashboard" / "secrets-8600.toml")  # fmt: skip
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    with open(path, "rb") as source:
        assert tomllib.load(source) == {
            "auth": {
                "redirect_uri": "https://dora.example.com/oauth2callback",
                "cookie_secret": COOKIE_SECRET,
                "client_id": "dora",
                "client_secret": CLIENT_SECRET,
                "server_metadata_url": AUTH.discovery_url,
            }
        }
    assert CLIENT_SECRET not in " ".join(launch.options)


def test_a_quote_in_a_secret_cannot_break_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DORA_HOME", str(tmp_path))
    odd = 'a"b\\c\n[evil]\nx = 1' + "y" * 32
    launch = plan(AUTH, "http://h", "0.0.0.0", 1, no_auth=False, environ={**SECRETS, "DORA_DASHBOARD_COOKIE_SECRET": odd})  # fmt: skip
    with open(launch.options[1], "rb") as source:
        assert tomllib.load(source)["auth"]["cookie_secret"] == odd


def _xsrf(token: bytes, mask: bytes, at: int = 1796404564) -> str:
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{mask.hex()}|{masked.hex()}|{at}"


def test_a_browser_is_known_by_its_xsrf_token_whatever_its_mask():
    token = bytes(range(16))
    first, second = _xsrf(token, b"\x01\x02\x03\x04"), _xsrf(token, b"\xff\x00\xaa\x55")
    assert first != second
    assert deep_links.browser_key(first) == deep_links.browser_key(second) is not None
    assert deep_links.browser_key(_xsrf(bytes(16), b"\x01\x02\x03\x04")) != deep_links.browser_key(first)  # fmt: skip
    for broken in (None, "", "2|zz|00|1", "1|00|00|1", "garbage"):
        assert deep_links.browser_key(broken) is None


def test_a_kept_link_is_taken_once_and_only_within_ten_minutes():
    link = deep_links.Link("stability", (("repo", "acme/tiny"), ("env", "production")))
    deep_links.remember("browser-a", link, now=1000.0)
    assert deep_links.take("browser-b", now=1001.0) is None
    assert deep_links.take("browser-a", now=1001.0) == link
    assert deep_links.take("browser-a", now=1002.0) is None
    deep_links.remember("browser-a", link, now=1000.0)
    assert deep_links.take("browser-a", now=1000.0 + deep_links.TTL_SECONDS + 1) is None
    deep_links.remember(None, link)
    assert deep_links.take(None) is None
