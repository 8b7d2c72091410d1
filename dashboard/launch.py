"""What `dora dashboard` hands Streamlit about sign-in, decided before Streamlit starts.

- A non-loopback `--host` without `[dashboard.auth]` is refused (one line naming the fix), unless
  `--no-auth` says a proxy in front signs people in.
- With `[dashboard.auth]`, Streamlit's OIDC client reads its settings only from a secrets file.
  The client and cookie secrets come from the environment; they are written, with the provider
  settings, to `<per-user data dir>/dashboard/secrets-<port>.toml` (folder 0700, file 0600,
  replaced on every start) and Streamlit is pointed at that one file (`--secrets.files`), so it
  reads no `.streamlit/secrets.toml` from the checkout or the current folder, and nothing secret
  is ever in the checkout, on the command line or in a log.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import AUTH_ENV
from settings.dashboard import DashboardAuthSettings
from settings.paths import user_data_dir

MIN_COOKIE_SECRET = 32


class LaunchRefused(Exception):
    """The dashboard must not start as asked; the message is the one line to print."""


@dataclass
class Launch:
    """Extra Streamlit options, environment for the app, and a line to warn with (or None)."""

    options: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    warning: str | None = None


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost`; any other name or address may be reached from outside."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plan(
    auth: DashboardAuthSettings | None,
    dashboard_url: str,
    host: str,
    port: int,
    no_auth: bool,
    environ: Mapping[str, str] = os.environ,
) -> Launch:
    """Decide how the dashboard starts; raises `LaunchRefused` with the reason."""
    if no_auth:
        reach = "this machine" if is_loopback(host) else f"anyone who can reach {host}:{port}"
        return Launch(
            env={AUTH_ENV: "off"},
            warning=f"warning: --no-auth: nobody signs in and {reach} sees every repository; "
            "keep it behind a proxy that signs people in",
        )
    if auth is None:
        if not is_loopback(host):
            raise LaunchRefused(
                f"--host {host} would show every repository to anyone who can reach it: add "
                "[dashboard.auth] to dora.toml (README: Sign-in and who sees what), or pass --no-auth "
                "behind a proxy that signs people in"
            )
        return Launch(env={AUTH_ENV: "off"})
    client_secret = environ.get(auth.client_secret_env, "")
    cookie_secret = environ.get(auth.cookie_secret_env, "")
    if not client_secret:
        raise LaunchRefused(
            f"[dashboard.auth] needs the identity provider's client secret in ${auth.client_secret_env}"
        )
    if len(cookie_secret) < MIN_COOKIE_SECRET:
        raise LaunchRefused(
            f"[dashboard.auth] needs a random cookie secret of at least {MIN_COOKIE_SECRET} "
            f"characters in ${auth.cookie_secret_env} (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`)"
        )
    redirect_uri = auth.redirect_uri or f"{dashboard_url.rstrip('/')}/oauth2callback"
    secrets = write_secrets(
        secrets_file(port),
        {
            "redirect_uri": redirect_uri,
            "cookie_secret": cookie_secret,
            "client_id": auth.client_id,
            "client_secret": client_secret,
            "server_metadata_url": auth.discovery_url,
        },
    )
    return Launch(options=["--secrets.files", str(secrets)], env={AUTH_ENV: "oidc"})


def secrets_file(port: int) -> Path:
    """One file per port: two dashboards of one user with different providers do not clash."""
    return user_data_dir() / "dashboard" / f"secrets-{port}.toml"


def write_secrets(path: Path, auth_section: Mapping[str, str]) -> Path:
    """Write Streamlit's `[auth]` section, readable by this user only, replacing the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    # JSON strings are valid TOML basic strings (same escapes), whatever a value holds.
    text = "[auth]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in auth_section.items())  # fmt: skip
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.unlink(missing_ok=True)
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as sink:
        sink.write(text)
    os.replace(staging, path)
    return path
