"""Who sees what: whether sign-in is on, who is let in, and the teams a session may read.

Sign-in is on when `dora dashboard` says so (`AUTH_ENV=oidc`), or, when Streamlit is started
some other way, whenever dora.toml has `[dashboard.auth]`. Then:
- admins see everything;
- a team's viewers (addresses or domains in `[[teams]] viewers`) see that team's repositories,
  the union over their teams;
- the allow-list (`allowed_domains`, `allowed_emails`) lets people in who see nothing until a
  team lists them; anyone else is refused.
The limit is applied to every query (`snapshot.query` reads `restriction()`), not to the
filters shown: a link to another team's repository finds no row of it.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from dashboard import AUTH_ENV, audit
from settings.config import ConfigError, load_settings
from settings.dashboard import DashboardAuthSettings, matches
from settings.teams import TeamSettings

SESSION_KEY = "dora_viewer"
ALL = "All"  # the filters' "no filter" value


class Refused(Exception):
    """This person may not use the dashboard; the message says why (shown and audited)."""


@dataclass(frozen=True)
class Policy:
    """Sign-in settings as the app read them at start; `error`: sign-in is on but unusable."""

    auth: DashboardAuthSettings | None
    teams: tuple[TeamSettings, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Viewer:
    """A signed-in person let in: their email, whether they are an admin, and their teams."""

    email: str
    admin: bool
    teams: tuple[str, ...]

    @property
    def restriction(self) -> tuple[str, ...] | None:
        """The teams whose rows they may read (lower case, sorted); None: everything."""
        return None if self.admin else tuple(sorted({team.lower() for team in self.teams}))

    def describe(self) -> str:
        if self.admin:
            return "admin: every repository"
        return ", ".join(self.teams) if self.teams else "no team yet"


@functools.cache
def policy() -> Policy | None:
    """Read once per process; None: nobody signs in (the loopback default, or --no-auth)."""
    mode = os.environ.get(AUTH_ENV)
    if mode == "off":
        return None
    try:
        settings = load_settings()
    except ConfigError as exc:  # cannot tell who may read: let nobody in
        return Policy(None, error=f"The configuration cannot be read: {exc}")
    if settings.dashboard.auth is None:
        if mode is None:
            return None
        return Policy(None, error="Sign-in is on, but dora.toml has no [dashboard.auth].")
    _import_quietly("authlib.integrations.starlette_client")
    return Policy(settings.dashboard.auth, tuple(settings.teams))


def _import_quietly(module: str) -> None:
    # Streamlit imports Authlib's client at the first sign-in, which prints Authlib's own
    # deprecation notice about its httpx module into the server's log; import it once, quietly.
    with warnings.catch_warnings():
        importlib.import_module("authlib.deprecate")  # installs an "always" filter of its own
        warnings.simplefilter("ignore")
        importlib.import_module(module)


def viewer_for(claims: Mapping[str, object], auth: DashboardAuthSettings, teams: tuple[TeamSettings, ...]) -> Viewer:  # fmt: skip
    """Who the identity provider's claims make this person here; raises `Refused`."""
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise Refused("the identity provider sent no email address")
    if claims.get("email_verified") is False:
        raise Refused("the identity provider has not verified this email address")
    admin = email in auth.admins
    names = tuple(sorted({t.name for t in teams if matches(email, t.viewers)}, key=str.lower))
    if not (admin or names or matches(email, [*auth.allowed_domains, *auth.allowed_emails])):
        raise Refused("not on the dashboard's allow-list")
    return Viewer(email=email, admin=admin, teams=names)


def current_viewer() -> Viewer | None:
    """The viewer the sign-in gate let in during this session's run, if any."""
    try:
        viewer = st.session_state.get(SESSION_KEY)
    except Exception:  # no Streamlit session (a query run outside a page): nobody
        return None
    return viewer if isinstance(viewer, Viewer) else None


def restriction() -> tuple[str, ...] | None:
    """The teams this session may read, for every query; None: the whole snapshot.

    With sign-in on and no viewer let in yet, the answer is no team at all: fail closed.
    """
    if policy() is None:
        return None
    viewer = current_viewer()
    return () if viewer is None else viewer.restriction


def sees_everything() -> bool:
    return restriction() is None


def shown(value: str) -> str:
    """A value from the URL, safe inside a code span (no backticks or control characters)."""
    return re.sub(r"[`\x00-\x1f\x7f]", "", value)[:120]


def stop_if_unavailable(requested: Mapping[str, tuple[str | None, set[str]]]) -> None:
    """For a limited viewer, a link naming a team, repository or service they cannot read
    shows "not available to you" and stops the page before any of it is queried.

    `requested` maps a label ("Repository") to (the URL's value, the values this viewer has).
    """
    if sees_everything():
        return
    for label, (value, available) in requested.items():
        if value is None or value == ALL or value in available:
            continue
        viewer = current_viewer()
        audit.record("refused-link", viewer.email if viewer else None, **{label.lower(): value})
        st.error(f"{label} `{shown(value)}` is not available to you.", icon=":material/lock:")
        st.caption("This link names something outside your teams; ask whoever runs this dashboard if you should see it.")  # fmt: skip
        if st.button("Show my repositories"):
            st.query_params.clear()
            st.rerun()
        st.stop()
