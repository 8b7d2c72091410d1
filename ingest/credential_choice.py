"""Which credential a request goes out on, and what a 401 or a spent budget does to that choice.

One `CredentialChoice` per worker thread (inside its `GitHubClient`): a PyGithub `Github` per
credential it has used, made on first use (an App credential first looks up its installation
on the owner), and the pool's choice of the credential with the most budget left for the
resource. A 401 sets the credential aside and the request is retried on another; a spent
primary budget sets it aside until its reset. The retry and wait policy stays in
`ingest.client`; this module only says which credential, and whether one is left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from github import Github, GithubException, GithubIntegration
from github.Requester import Requester

from ingest.credentials import Credential, CredentialPool
from ingest.errors import RETRYABLE_NETWORK, Aborted, BadCredentials, TransientError

REJECTED_ONE = "GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN (or GH_TOKEN)"
REJECTED_ALL = (
    "GitHub rejected every token and credential (401 Bad credentials): check GITHUB_TOKEN, "
    "GITHUB_TOKENS and the GitHub App settings"
)
REJECTED_APP = (
    "GitHub rejected the GitHub App (401): check github.app_id and its private key, and that "
    "the App is installed on the organisation (its installation token is made from them)"
)


class CredentialChoice:
    """The credentials one worker sends requests with, and the one the next request uses."""

    def __init__(
        self,
        pool: CredentialPool,
        new_github: Callable[[Any], Github],
        options: dict[str, Any],
        owner: str | None,
        abort: threading.Event,
        wait: Callable[[float, str], None],
    ) -> None:
        self.pool = pool
        self.owner = owner  # App credentials serve their installation's owner only
        self._new_github = new_github
        self._options = options  # base URL, page size, timeout, pacing (for GithubIntegration)
        self._abort = abort
        self._wait = wait
        self._githubs: dict[int, Github] = {}
        self._current: Credential | None = None
        self._forced: Credential | None = None
        self.anonymous = new_github(None)  # used when there is no credential at all

    def close(self) -> None:
        self.anonymous.close()
        for github in self._githubs.values():
            github.close()

    def requester_for(self, resource: str) -> Requester:
        """The requester of the credential to use next (waits when every budget is spent)."""
        while True:
            if self._abort.is_set():
                raise Aborted("stopped because another part of the ingest failed")
            if not self.pool.credentials:
                self._current = None
                return self.anonymous.requester
            if self._forced is not None:
                credential, wait = self._forced, 0.0
            else:
                credential, wait = self.pool.choose(resource, self.owner)
            if credential is None and wait == 0.0:
                self._abort.set()
                raise BadCredentials(self._rejected_message(), 401)
            if credential is None:
                self._wait(wait, f"every credential's {resource} budget is spent, until a reset")
                continue
            github = self._github_for(credential)
            if github is None:
                continue
            self._current = credential
            return github.requester

    def _github_for(self, credential: Credential) -> Github | None:
        if id(credential) not in self._githubs:
            installation = None
            if credential.app_id is not None:
                installation = self._installation_id(credential)
                if installation is None:
                    return None
            self._githubs[id(credential)] = self._new_github(credential.auth(installation))
        return self._githubs[id(credential)]

    def _installation_id(self, credential: Credential) -> int | None:
        """The App's installation on the credential's owner (`GET /orgs/{owner}/installation`)."""
        if getattr(credential, "installation_id", None) is None:
            integration = GithubIntegration(auth=credential.auth(), **self._options)
            try:
                credential.installation_id = integration.get_org_installation(credential.owner).id
            except GithubException as exc:
                self.pool.revoke(credential, f"no installation on {credential.owner}: {exc.status}")
                return None
            except RETRYABLE_NETWORK:
                raise TransientError(f"{credential.label}: network error") from None
            finally:
                integration.close()
        return credential.installation_id

    def _rejected_message(self) -> str:
        if len(self.pool) > 1:
            return REJECTED_ALL
        if self.pool.credentials and self.pool.credentials[0].app_id is not None:
            return REJECTED_APP
        return REJECTED_ONE

    # --- what a response says about the credential it went out on ---

    def seen(self, headers: dict[str, str], graphql: bool = False) -> None:
        """The budget left, as the response's `X-RateLimit-*` headers say."""
        if self._current is not None:
            self.pool.observe(self._current, headers, "graphql" if graphql else "core")

    def rejected(self, what: str) -> None:
        """A 401: set the credential aside; the caller retries on another, if one is left."""
        if self._current is None or self._forced is not None:
            self._abort.set()
            raise BadCredentials(REJECTED_ONE, 401)
        self.pool.revoke(self._current, f"401 on {what.split('?', 1)[0]}")

    def switch(self, headers: dict[str, str], graphql: bool = False) -> bool:
        """A spent primary budget: set the credential aside until its reset; True when another
        credential can go on at once (no wait)."""
        current = self._current
        if current is None or self._forced is not None or len(self.pool.usable(self.owner)) < 2:
            return False
        if headers.get("x-ratelimit-remaining") != "0" and not graphql:
            return False  # a secondary limit: waiting is what GitHub asks for
        resource = "graphql" if graphql else "core"
        reset = float(headers.get("x-ratelimit-reset") or time.time() + 60)
        self.pool.spent(current, resource, reset)
        return self.pool.choose(resource, self.owner)[0] is not None

    def check_each(self, get: Callable[[str], object], url: str) -> None:
        """GET `url` once with every credential (a free `/rate_limit`): rejected ones are set
        aside here, and each budget is known before the first repository starts."""
        try:
            for credential in list(self.pool.usable(self.owner)):
                if credential.app_id is not None:
                    continue  # an App credential is checked when its installation token is made
                self._forced = credential
                try:
                    get(url)
                except BadCredentials:
                    self.pool.revoke(credential, "401 Bad credentials")
        finally:
            self._forced = None
        if self.pool.credentials and not self.pool.usable(self.owner):
            self._abort.set()
            raise BadCredentials(self._rejected_message(), 401)
