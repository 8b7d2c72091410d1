"""The dora.toml of the sign-in tests: two teams of the small snapshot, their viewers, an admin.

In the small snapshot (`snapshot_factory.build_small`) team Core owns acme/platform, acme/empty
and acme/tiny; team Web owns acme/web and shares acme/tiny.
"""

from __future__ import annotations

from pathlib import Path

WEB_TEAM = 'Web <i>"front"</i>'
CORE_REPOS = {"acme/platform", "acme/empty", "acme/tiny"}
WEB_ONLY_REPO = "acme/web"

CORE_VIEWER = "core-dev@example.com"  # listed by address in Core's viewers
WEB_VIEWER = "ana@web.example"  # Web's viewers hold the domain web.example
ADMIN = "boss@example.com"
NO_TEAM = "guest@example.com"  # allowed by domain, in no team's viewers
STRANGER = "mallory@evil.test"  # on no list at all

CLIENT_SECRET = "client-secret-not-for-logs-7f3a9c"
COOKIE_SECRET = "cookie-secret-not-for-logs-0123456789abcdef"


def write_auth_config(path: Path, dashboard_url: str, discovery_url: str) -> Path:
    """A dora.toml with `[dashboard.auth]` and the teams' viewers."""
    path.write_text(
        f"""
[email]
dashboard_url = "{dashboard_url}"

[dashboard.auth]
discovery_url = "{discovery_url}"
client_id = "dora-dashboard"
allowed_domains = ["example.com"]
admins = ["{ADMIN}"]

[[teams]]
name = "Core"
repos = ["acme/platform", "acme/empty", "acme/tiny"]
viewers = ["{CORE_VIEWER}"]

[[teams]]
name = '{WEB_TEAM}'
repos = ["acme/web", "acme/tiny"]
viewers = ["web.example"]
""",
        encoding="utf-8",
    )
    return path
