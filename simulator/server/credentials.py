"""Who is asking, and whose budget pays: personal tokens, GitHub App JWTs, installation tokens.

By default every token shares one REST and one GraphQL budget (one user's tokens share GitHub's
limit). With `per_credential=True` each token and each installation token has budgets of its own,
of a configurable size and reset period, so a test can spend one in seconds. `bad-token` and
revoked tokens get GitHub's 401. A GitHub App (id + public key) authenticates with an RS256 JWT
(`iss` = app id, at most 10 minutes long) on `GET /orgs/{org}/installation` and
`POST /app/installations/{id}/access_tokens`; the installation tokens it gets expire after
`installation_seconds` (GitHub: one hour) and are refused afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from simulator.server.server_state import RateBudget

BAD_TOKEN = "bad-token"
INSTALLATION_ID = 4242  # the simulated organisation's one installation
JWT_MAX_SECONDS = 600


@dataclass(frozen=True)
class Caller:
    kind: str  # token | installation | app
    key: str  # the token, or the app id for a JWT (never served back)

    @property
    def label(self) -> str:
        """A name for stats that does not reveal the token."""
        if self.kind == "app":
            return f"app {self.key}"
        return f"{self.kind} {hashlib.sha256(self.key.encode()).hexdigest()[:8]}"


class Credentials:
    """The budgets, revocations, App keys and installation tokens of one simulator."""

    def __init__(
        self,
        rate_limit: int = 5000,
        reset_seconds: int = 3600,
        graphql_limit: int = 5000,
        per_credential: bool = False,
        apps: dict[str, str] | None = None,
        installation_seconds: int = 3600,
    ) -> None:
        self.rate_limit, self.reset_seconds = rate_limit, reset_seconds
        self.graphql_limit = graphql_limit
        self.per_credential = per_credential
        self.apps = dict(apps or {})  # app id -> PEM public key
        self.installation_seconds = installation_seconds
        self.shared_core = RateBudget(rate_limit, reset_seconds)
        self.shared_graphql = RateBudget(graphql_limit, reset_seconds)
        self._budgets: dict[str, tuple[RateBudget, RateBudget]] = {}
        self._revoked: set[str] = set()
        self._installation_tokens: dict[str, float] = {}  # token -> expiry epoch
        self._lock = threading.Lock()

    # --- who ---

    def identify(self, authorization: str) -> Caller | None:
        """The caller of a request, or None for GitHub's 401 (bad, revoked or expired)."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip() if scheme.lower() in ("token", "bearer") else ""
        if token == BAD_TOKEN or token in self._revoked:
            return None
        if token.count(".") == 2 and self.apps:
            app_id = self._verify_jwt(token)
            return Caller("app", app_id) if app_id else None
        if token.startswith("ghs_"):
            expiry = self._installation_tokens.get(token)
            return Caller("installation", token) if expiry and expiry > time.time() else None
        return Caller("token", token)

    def _verify_jwt(self, token: str) -> str | None:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            key = self.apps.get(str(claims.get("iss")))
            if key is None:
                return None
            claims = jwt.decode(token, key, algorithms=["RS256"], leeway=60)
        except jwt.PyJWTError:
            return None
        if claims.get("exp", 0) - claims.get("iat", 0) > JWT_MAX_SECONDS + 60:
            return None  # GitHub refuses a JWT that lives longer than 10 minutes
        return str(claims["iss"])

    def revoke(self, token: str) -> None:
        with self._lock:
            self._revoked.add(token)

    # --- budgets ---

    def budgets(self, caller: Caller) -> tuple[RateBudget, RateBudget]:
        """(REST, GraphQL) budgets that pay for `caller`'s requests."""
        if not self.per_credential:
            return self.shared_core, self.shared_graphql
        with self._lock:
            if caller.key not in self._budgets:
                self._budgets[caller.key] = (
                    RateBudget(self.rate_limit, self.reset_seconds),
                    RateBudget(self.graphql_limit, self.reset_seconds),
                )
            return self._budgets[caller.key]

    def usage(self) -> dict[str, dict[str, int]]:
        """Units used in the current window and charged since the start, per credential label
        (per-credential budgets only)."""
        with self._lock:
            items = list(self._budgets.items())
        return {
            Caller("installation" if k.startswith("ghs_") else "token", k).label: {
                "rest_used": core.snapshot()[1],
                "graphql_used": graphql.snapshot()[1],
                "rest_charged": core.charged,
                "graphql_charged": graphql.charged,
            }
            for k, (core, graphql) in items
        }

    def issued_tokens(self) -> list[str]:
        """Every installation token handed out so far (tests look for them where they must
        never be)."""
        with self._lock:
            return list(self._installation_tokens)

    def restart(self) -> None:
        self.shared_core.restart()
        self.shared_graphql.restart()
        with self._lock:
            for core, graphql in self._budgets.values():
                core.restart()
                graphql.restart()

    # --- the App endpoints ---

    def app_route(self, method: str, path: str, caller: Caller, org_login: str) -> tuple | None:
        """(status, body) of an App endpoint, or None when `path` is not one."""
        parts = path.strip("/").split("/")
        is_installation = (
            method == "GET" and len(parts) == 3 and parts[::2] == ["orgs", "installation"]
        )
        is_token = (
            method == "POST"
            and len(parts) == 4
            and parts[:2] == ["app", "installations"]
            and parts[3] == "access_tokens"
        )
        if not (is_installation or is_token):
            return None
        if caller.kind != "app":
            return 401, {"message": "A JSON web token could not be decoded", "status": "401"}
        if is_installation:
            if parts[1].lower() != org_login.lower():
                return 404, {"message": "Not Found", "status": "404"}
            return 200, self._installation(caller, org_login)
        if parts[2] != str(INSTALLATION_ID):
            return 404, {"message": "Not Found", "status": "404"}
        token = "ghs_" + secrets.token_hex(18)
        expiry = time.time() + self.installation_seconds
        with self._lock:
            self._installation_tokens[token] = expiry
        expires_at = datetime.fromtimestamp(expiry, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 201, {
            "token": token,
            "expires_at": expires_at,
            "permissions": {"actions": "read", "contents": "read", "deployments": "read"},
            "repository_selection": "all",
        }

    @staticmethod
    def _installation(caller: Caller, org_login: str) -> dict:
        return {
            "id": INSTALLATION_ID,
            "app_id": int(caller.key) if caller.key.isdigit() else caller.key,
            "account": {"login": org_login, "type": "Organization"},
            "target_type": "Organization",
            "repository_selection": "all",
            "permissions": {"actions": "read", "contents": "read", "deployments": "read"},
            "events": [],
        }
