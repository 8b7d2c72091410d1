"""Every credential of an ingest run, and the pool that spreads requests over their budgets.

Credentials come from the environment only (`GITHUB_TOKENS`, comma-separated, and
`GITHUB_TOKEN`/`GH_TOKEN`) and from a GitHub App: its id (`github.app_id` or `GITHUB_APP_ID`) and
private key (`GITHUB_APP_PRIVATE_KEY`, or the file named by `github.app_private_key_file` or
`GITHUB_APP_PRIVATE_KEY_FILE`). An App gives one credential per organisation it is installed on:
PyGithub's `AppInstallationAuth` creates the installation token and renews it before it expires.

The pool picks, for each request, the credential with the most budget left for that resource
(REST `core` or `graphql` points, from the `X-RateLimit-*` headers of its last response), so every
budget lasts about as long. A credential whose budget is spent is set aside until its reset; one
GitHub rejects (401) is set aside for the run; each is said in one log line naming the credential
by its label, never by its secret. The run stops only when no credential is left.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from github import Auth

from settings.config import ConfigError, Settings

log = logging.getLogger("dora.ingest")

FULL_BUDGET = {"core": 5000, "graphql": 5000}  # assumed until a response says otherwise
_INSTALLATIONS = threading.Lock()  # one shared installation auth per App credential


class SharedInstallationAuth(Auth.AppInstallationAuth):
    """PyGithub's installation auth, shared by every worker's `Github` of one run: one
    installation token at a time, renewed by whichever worker first finds it about to expire."""

    def __init__(self, app_auth: Auth.AppAuth, installation_id: int) -> None:
        super().__init__(app_auth, installation_id)
        self._lock = threading.Lock()

    @property
    def token(self) -> str:
        with self._lock:
            return super().token


@dataclass(eq=False)
class Credential:
    """One token or one App installation; `repr` shows the label only."""

    label: str
    _secret: str = field(repr=False)
    app_id: str | None = None
    owner: str | None = None  # an App credential serves its installation's owner only
    _installation: SharedInstallationAuth | None = field(default=None, repr=False, init=False)

    def auth(self, installation_id: int | None = None) -> Auth.Auth:
        if self.app_id is None:
            return Auth.Token(self._secret)
        app = Auth.AppAuth(self.app_id, self._secret)
        if not installation_id:
            return app
        with _INSTALLATIONS:
            if self._installation is None or self._installation.installation_id != installation_id:
                self._installation = SharedInstallationAuth(app, installation_id)
            return self._installation

    def serves(self, owner: str | None) -> bool:
        return self.owner is None or owner is None or self.owner.lower() == owner.lower()


@dataclass
class AppKey:
    """A GitHub App's id and private key (the key stays here, out of every repr)."""

    app_id: str
    private_key: str = field(repr=False)

    def for_owner(self, owner: str) -> Credential:
        return Credential(
            f"GitHub App {self.app_id} on {owner}", self.private_key, self.app_id, owner
        )


def tokens_from_environment(env: dict[str, str] | None = None) -> list[Credential]:
    """`GITHUB_TOKENS` (comma-separated) then `GITHUB_TOKEN` (else `GH_TOKEN`), duplicates once."""
    env = dict(os.environ if env is None else env)
    found: list[Credential] = []
    seen: set[str] = set()
    many = [t.strip() for t in env.get("GITHUB_TOKENS", "").split(",") if t.strip()]
    for number, token in enumerate(many, start=1):
        if token not in seen:
            seen.add(token)
            found.append(Credential(f"GITHUB_TOKENS #{number}", token))
    single = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    if single and single.strip() not in seen:
        name = "GITHUB_TOKEN" if env.get("GITHUB_TOKEN") else "GH_TOKEN"
        found.append(Credential(name, single.strip()))
    return found


def for_shard(credentials: list[Credential], shard: int, shards: int) -> list[Credential]:
    """A shard's own tokens, so shards running at once never share a budget: token i serves
    shard i mod `shards`; with fewer tokens than shards, shard k uses token k mod their count."""
    if not credentials or shards <= 1:
        return credentials
    own = [c for i, c in enumerate(credentials) if i % shards == shard]
    return own or [credentials[shard % len(credentials)]]


def app_from_settings(settings: Settings, env: dict[str, str] | None = None) -> AppKey | None:
    """The GitHub App configured, if any; a key that cannot be read is a ConfigError."""
    env = dict(os.environ if env is None else env)
    app_id = env.get("GITHUB_APP_ID") or settings.github.app_id
    key = env.get("GITHUB_APP_PRIVATE_KEY")
    key_file = env.get("GITHUB_APP_PRIVATE_KEY_FILE") or settings.github.app_private_key_file
    if not app_id and not key and not key_file:
        return None
    if not app_id:
        raise ConfigError("a GitHub App private key is set but no app id (github.app_id)")
    if not key:
        if not key_file:
            raise ConfigError(
                "github.app_id is set but no private key: set github.app_private_key_file, "
                "GITHUB_APP_PRIVATE_KEY_FILE or GITHUB_APP_PRIVATE_KEY"
            )
        try:
            key = Path(key_file).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(
                f"{key_file}: cannot read the GitHub App private key ({reason})"
            ) from None
    if "PRIVATE KEY" not in key:
        raise ConfigError("the GitHub App private key is not a PEM private key")
    return AppKey(str(app_id), key)


@dataclass
class _Budget:
    remaining: int
    reset: float = 0.0  # epoch when a spent budget is whole again


class CredentialPool:
    """The credentials of one run, their budgets as last seen, and the ones set aside."""

    def __init__(self, credentials: list[Credential]) -> None:
        self.credentials = list(credentials)
        self._budgets: dict[tuple[int, str], _Budget] = {}
        self._revoked: dict[int, str] = {}
        self._turn = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CredentialPool({[c.label for c in self.credentials]})"

    def __len__(self) -> int:
        return len(self.credentials)

    def add(self, credential: Credential) -> None:
        with self._lock:
            self.credentials.append(credential)

    def _budget(self, credential: Credential, resource: str) -> _Budget:
        key = (id(credential), resource)
        if key not in self._budgets:
            self._budgets[key] = _Budget(FULL_BUDGET.get(resource, 5000))
        budget = self._budgets[key]
        if budget.remaining <= 0 and budget.reset and time.time() >= budget.reset:
            budget.remaining, budget.reset = FULL_BUDGET.get(resource, 5000), 0.0
        return budget

    def usable(self, owner: str | None = None) -> list[Credential]:
        return [c for c in self.credentials if id(c) not in self._revoked and c.serves(owner)]

    def choose(self, resource: str, owner: str | None = None) -> tuple[Credential | None, float]:
        """(the credential with the most budget left, 0) or (None, seconds until one resets)."""
        with self._lock:
            candidates = self.usable(owner)
            if not candidates:
                return None, 0.0
            ready = [c for c in candidates if self._budget(c, resource).remaining > 0]
            if not ready:
                resets = [self._budget(c, resource).reset for c in candidates]
                return None, max(min(resets) - time.time(), 0.0) + 1.0
            self._turn += 1
            best = max(self._budget(c, resource).remaining for c in ready)
            tied = [c for c in ready if self._budget(c, resource).remaining == best]
            return tied[self._turn % len(tied)], 0.0

    def observe(self, credential: Credential, headers: dict[str, str], resource: str) -> None:
        """Budget as the response says (`X-RateLimit-Remaining`/`-Reset`)."""
        resource = headers.get("x-ratelimit-resource", resource)
        try:
            remaining = int(float(headers["x-ratelimit-remaining"]))
            reset = float(headers.get("x-ratelimit-reset") or 0)
        except (KeyError, ValueError):
            return
        self._set(credential, resource, remaining, reset)

    def spent(self, credential: Credential, resource: str, reset: float) -> None:
        """A primary-limit refusal: nothing left until `reset`."""
        self._set(credential, resource, 0, reset)

    def _set(self, credential: Credential, resource: str, remaining: int, reset: float) -> None:
        with self._lock:
            budget = self._budget(credential, resource)
            ran_out = budget.remaining > 0 and remaining <= 0
            budget.remaining, budget.reset = remaining, reset or budget.reset
            others = len(self.usable(credential.owner)) - 1
        if ran_out:
            log.warning(
                "credential %s spent its %s budget: set aside until its reset in %.0f s; "
                "%d other credential(s) go on",
                credential.label, resource, max(reset - time.time(), 0.0), others,
            )  # fmt: skip

    def revoke(self, credential: Credential, reason: str) -> None:
        with self._lock:
            if id(credential) in self._revoked:
                return
            self._revoked[id(credential)] = reason
            left = len(self.usable())
        log.warning(
            "credential %s was rejected (%s): set aside for the rest of this run; %d left",
            credential.label, reason, left,
        )  # fmt: skip
