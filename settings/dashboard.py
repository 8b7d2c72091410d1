"""`[dashboard.auth]` of dora.toml: who may sign in to the dashboard, and who sees everything.

The identity provider does the sign-in (Streamlit's own OIDC client); these settings say which
of its users are let in. Secrets never live here: the keys below only name the environment
variables that hold them.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_DOMAIN = re.compile(r"@?([a-z0-9-]+\.)+[a-z0-9-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def email_or_domain_list(value: list[str], what: str) -> list[str]:
    """Lower-cased addresses (`ana@example.com`) and domains (`example.com` or `@example.com`)."""
    cleaned = []
    for entry in value:
        entry = entry.strip().lower()
        if not (_EMAIL.fullmatch(entry) or _DOMAIN.fullmatch(entry)):
            raise ValueError(f"{what}: {entry!r} is neither an email address nor a domain")
        cleaned.append(entry.removeprefix("@"))
    return cleaned


def matches(email: str, entries: list[str]) -> bool:
    """Whether `email` is one of `entries` or at one of its domains (no subdomains)."""
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    return any(entry == email if "@" in entry else entry == domain for entry in entries)


class DashboardAuthSettings(_Section):
    """Sign-in through the organisation's OpenID Connect provider, and the allow-lists."""

    # the provider's discovery document, e.g. https://accounts.google.com/.well-known/openid-configuration
    discovery_url: str
    client_id: str
    # where the provider sends people back: default `<email.dashboard_url>/oauth2callback`
    redirect_uri: str | None = None
    allowed_domains: list[str] = Field(default_factory=list)  # everyone at these domains
    allowed_emails: list[str] = Field(default_factory=list)  # and these people
    admins: list[str] = Field(default_factory=list)  # see every repository and team
    # the variables that hold the secrets (never the secrets themselves)
    client_secret_env: str = "DORA_DASHBOARD_CLIENT_SECRET"
    cookie_secret_env: str = "DORA_DASHBOARD_COOKIE_SECRET"

    @field_validator("discovery_url", "redirect_uri")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an absolute http(s) URL")
        return value

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("allowed_domains", "allowed_emails")
    @classmethod
    def _allow_list(cls, value: list[str], info) -> list[str]:
        return email_or_domain_list(value, info.field_name)

    @field_validator("admins")
    @classmethod
    def _admins(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not _EMAIL.fullmatch(entry.strip()):
                raise ValueError(f"admins: {entry!r} is not an email address (admins are people)")
        return [entry.strip().lower() for entry in value]

    @field_validator("client_secret_env", "cookie_secret_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an environment variable's name")
        return value


class DashboardSettings(_Section):
    """`[dashboard]`: today only its sign-in; without `[dashboard.auth]` no one signs in."""

    auth: DashboardAuthSettings | None = None
