"""`[dashboard.auth]` and `[[teams]] viewers` in dora.toml: valid shapes, and one clear line otherwise."""

from __future__ import annotations

import pytest

from settings.config import ConfigError, load_settings
from settings.dashboard import matches

AUTH = """
[dashboard.auth]
discovery_url = "https://id.example.com/.well-known/openid-configuration"
client_id = "dora"
"""


def _load(tmp_path, text: str):
    path = tmp_path / "dora.toml"
    path.write_text(text)
    return load_settings(path)


def test_no_dashboard_section_means_nobody_signs_in(tmp_path):
    assert _load(tmp_path, "").dashboard.auth is None


def test_auth_lists_are_normalised(tmp_path):
    settings = _load(
        tmp_path,
        AUTH
        + 'allowed_domains = ["@Example.COM"]\nallowed_emails = ["Ana@Else.dev"]\nadmins = ["Boss@Example.com"]\n'  # fmt: skip
        + '[[teams]]\nname = "Web"\nviewers = ["web.example", "Lee@Example.com"]\n',
    )
    auth = settings.dashboard.auth
    assert (auth.allowed_domains, auth.allowed_emails, auth.admins) == (["example.com"], ["ana@else.dev"], ["boss@example.com"])  # fmt: skip
    assert settings.teams[0].viewers == ["web.example", "lee@example.com"]
    assert auth.client_secret_env == "DORA_DASHBOARD_CLIENT_SECRET"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            'allowed_domains = ["not a domain"]',
            "dashboard.auth.allowed_domains: allowed_domains: 'not a domain' is neither",
        ),  # fmt: skip
        (
            'admins = ["example.com"]',
            "admins: 'example.com' is not an email address (admins are people)",
        ),  # fmt: skip
        ('client_secret = "oops"', "dashboard.auth.client_secret: unknown key"),
        ('client_secret_env = "not-a-name"', "is not an environment variable's name"),
        ('redirect_uri = "/oauth2callback"', "is not an absolute http(s) URL"),
    ],
)
def test_bad_auth_settings_name_the_key(tmp_path, extra, expected):
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, AUTH + extra + "\n")
    assert expected in str(raised.value)


def test_a_team_viewer_must_be_an_address_or_a_domain(tmp_path):
    with pytest.raises(ConfigError, match=r"teams.0.viewers: viewers: 'web team' is neither"):
        _load(tmp_path, '[[teams]]\nname = "Web"\nviewers = ["web team"]\n')


def test_a_domain_matches_its_addresses_only_not_subdomains():
    assert matches("Ana@Example.com", ["example.com"])
    assert matches("ana@example.com", ["ana@example.com"])
    assert not matches("ana@sub.example.com", ["example.com"])
    assert not matches("ana@example.com.evil.test", ["example.com"])
    assert not matches("example.com@evil.test", ["example.com"])
