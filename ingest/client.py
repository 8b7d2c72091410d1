"""PyGithub set-up and the one place where rate limits, faults and waits are handled.

Every GET goes through `GitHubClient.get`, on PyGithub's `Requester.requestJson` (auth, base URL,
pacing, URL checks). urllib3's retries are switched off (`retry=None`) so that each attempt is
seen here: counted, logged with what it waits for and how long, and bounded by `max_wait`.
`PaginatedList` is not used for lists because it never sends `If-None-Match`; a 304 is what makes
a re-sync nearly free (GitHub does not charge it against the rate limit).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from github import Github, GithubException, GithubIntegration
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

from ingest.credentials import Credential, CredentialPool

log = logging.getLogger("dora.ingest")

REJECTED_ONE = "GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN (or GH_TOKEN)"
REJECTED_ALL = (
    "GitHub rejected every token and credential (401 Bad credentials): check GITHUB_TOKEN, "
    "GITHUB_TOKENS and the GitHub App settings"
)
REJECTED_APP = (
    "GitHub rejected the GitHub App (401): check github.app_id and its private key, and that "
    "the App is installed on the organisation (its installation token is made from them)"
)
LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
RETRYABLE_NETWORK = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.Timeout,
)


class GitHubError(Exception):
    """A response the ingest cannot use; `status` is the HTTP status (0 for network)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class BadCredentials(GitHubError):
    """401: the token is wrong or expired; nothing else can work, so everything stops."""


class NotFound(GitHubError):
    """404: the repository (or the path) does not exist, or the token cannot see it."""


class AccessDenied(GitHubError):
    """403 that is not a rate limit: the token lacks access."""


class TransientError(GitHubError):
    """Server errors or network failures that outlasted every retry."""


class MaxWaitExceeded(GitHubError):
    """Waiting any longer would pass `max_wait`: stop cleanly, with everything so far saved."""


class Aborted(GitHubError):
    """Another task hit a fatal error (bad token, max wait); this one stops too."""


@dataclass
class RequestStats:
    """Counters shared by every client of one ingest run (thread-safe)."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    rate_remaining: int | None = None
    rate_limit: int | None = None
    rate_reset: int | None = None
    graphql_queries: int = 0
    graphql_points: int = 0
    graphql_unavailable: bool = False  # the server answered 404 on /graphql: REST only
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests += 1
            if status == 304:
                self.not_modified += 1
            if "x-ratelimit-remaining" in headers:
                self.rate_remaining = int(float(headers["x-ratelimit-remaining"]))
            if "x-ratelimit-limit" in headers:
                self.rate_limit = int(float(headers["x-ratelimit-limit"]))
            if "x-ratelimit-reset" in headers:
                self.rate_reset = int(float(headers["x-ratelimit-reset"]))

    def record_graphql(self, status: int, headers: dict[str, str], body: Any) -> None:
        """A GraphQL query: its points (from `rateLimit { cost }`), apart from REST requests."""
        data = body.get("data") if isinstance(body, dict) else None
        rate = data.get("rateLimit") if isinstance(data, dict) else None
        with self._lock:
            self.graphql_queries += 1
            if isinstance(rate, dict) and isinstance(rate.get("cost"), int):
                self.graphql_points += rate["cost"]

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.waited_seconds += seconds
            self.retries += 1

    @property
    def charged(self) -> int:
        """REST requests GitHub counts against the primary limit (a 304 is free)."""
        return self.requests - self.not_modified


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def next_url(self) -> str | None:
        match = LINK_NEXT.search(self.headers.get("link", ""))
        return match.group(1) if match else None


@dataclass
class RetryPolicy:
    """How long to wait for what; the defaults follow GitHub's documented guidance."""

    max_wait: float = 3600.0  # total seconds this run may spend waiting before it stops cleanly
    backoff_base: float = 1.0  # 5xx and network: base * 2**attempt, with jitter
    backoff_cap: float = 60.0
    max_attempts: int = 8
    secondary_wait: float = 60.0  # a secondary limit without Retry-After waits this, doubling


class GitHubClient:
    """PyGithub `Github`s for one worker thread (one per credential) plus the rate-limit and
    retry policy; requests go out on the pool's credential with the most budget left."""

    def __init__(
        self,
        token: str | CredentialPool | None,
        base_url: str,
        *,
        owner: str | None = None,
        per_page: int = 100,
        seconds_between_requests: float = 0.1,
        timeout: float = 30,
        policy: RetryPolicy | None = None,
        stats: RequestStats | None = None,
        abort: threading.Event | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.per_page = per_page
        self.owner = owner  # App credentials serve their installation's owner only
        self.policy = policy or RetryPolicy()
        self.stats = stats or RequestStats()
        self.abort = abort or threading.Event()
        if isinstance(token, CredentialPool):
            self.pool = token
        else:
            self.pool = CredentialPool([Credential("GITHUB_TOKEN", token)] if token else [])
        self._options = {
            "base_url": self.base_url,
            "per_page": per_page,
            "timeout": int(timeout),
            "seconds_between_requests": seconds_between_requests,
        }
        self._githubs: dict[int, Github] = {}
        self._current: Credential | None = None
        self._forced: Credential | None = None
        self.github = self._new_github(None)  # unauthenticated; used when there is no credential

    def _new_github(self, auth: Any) -> Github:
        github = Github(
            auth=auth,
            lazy=True,
            retry=None,  # the policy below handles every retry, so each is counted and logged
            **self._options,
        )
        _read_environment_once(github.requester)
        return github

    def close(self) -> None:
        self.github.close()
        for github in self._githubs.values():
            github.close()

    @property
    def _requester(self) -> Requester:
        return self.requester_for("core")

    def requester_for(self, resource: str) -> Requester:
        """The requester of the credential to use next (waits when every budget is spent)."""
        while True:
            self.check_abort()
            if not self.pool.credentials:
                self._current = None
                return self.github.requester
            if self._forced is not None:
                credential, wait = self._forced, 0.0
            else:
                credential, wait = self.pool.choose(resource, self.owner)
            if credential is None and wait == 0.0:
                self.abort.set()
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

    def check_abort(self) -> None:
        if self.abort.is_set():
            raise Aborted("stopped because another part of the ingest failed")

    def credential_seen(self, status: int, headers: dict[str, str], graphql: bool = False) -> None:
        if self._current is not None:
            self.pool.observe(self._current, headers, "graphql" if graphql else "core")

    def rejected(self, what: str) -> None:
        """A 401: set the credential aside; the caller retries on another, if one is left."""
        if self._current is None or self._forced is not None:
            self.abort.set()
            raise BadCredentials(REJECTED_ONE, 401)
        self.pool.revoke(self._current, f"401 on {what.split('?', 1)[0]}")

    def switch_credential(self, headers: dict[str, str], graphql: bool = False) -> bool:
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

    def check_each_credential(self, url: str) -> None:
        """GET `url` once with every credential (a free `/rate_limit`): rejected ones are set
        aside here, and each budget is known before the first repository starts."""
        try:
            for credential in list(self.pool.usable(self.owner)):
                if credential.app_id is not None:
                    continue  # an App credential is checked when its installation token is made
                self._forced = credential
                try:
                    self.get(url)
                except BadCredentials:
                    self.pool.revoke(credential, "401 Bad credentials")
        finally:
            self._forced = None
        if self.pool.credentials and not self.pool.usable(self.owner):
            self.abort.set()
            raise BadCredentials(self._rejected_message(), 401)

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The absolute URL of an API path; it is also the key of the stored ETag."""
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url}{path}{query}"

    def get(self, url: str, etag: str | None = None) -> Response:
        """GET with the stored ETag; 200 and 304 return, errors raise after the policy gave up."""
        headers = {"If-None-Match": etag} if etag else {}
        attempt = 0
        secondary_hits = 0
        while True:
            requester = self.requester_for("core")
            try:
                status, raw_headers, text = requester.requestJson("GET", url, headers=dict(headers))
            except RETRYABLE_NETWORK as exc:
                attempt += 1
                if attempt >= self.policy.max_attempts:
                    raise TransientError(
                        f"GET {url}: network error: {type(exc).__name__}"
                    ) from None
                self._wait(
                    self._backoff(attempt), f"network error ({type(exc).__name__}) on GET {url}"
                )
                continue
            resp_headers = {k.lower(): v for k, v in raw_headers.items()}
            self.stats.record(status, resp_headers)
            log.debug("GET %s -> %d", url, status)
            self.credential_seen(status, resp_headers)
            if status in (200, 304):
                body = json.loads(text) if status == 200 and text else None
                return Response(url, status, resp_headers, body)
            message = _message(text)
            if status == 401:
                self.rejected(f"GET {url}")
                continue
            if status in (403, 429) and self._is_rate_limited(status, resp_headers, message):
                if self.switch_credential(resp_headers):
                    continue
                attempt += 1
                if attempt >= self.policy.max_attempts * 2:
                    raise TransientError(
                        f"GET {url}: still rate limited after {attempt} tries", status
                    )
                seconds, why = self._rate_limit_wait(resp_headers, secondary_hits)
                secondary_hits += why.startswith("secondary")
                self._wait(seconds, f"{why} on GET {url}")
                continue
            if status >= 500:
                attempt += 1
                if attempt >= self.policy.max_attempts:
                    raise TransientError(f"GET {url}: {status} after {attempt} tries", status)
                self._wait(self._backoff(attempt), f"server error {status} on GET {url}")
                continue
            if status == 404:
                raise NotFound(f"GET {url}: not found", 404)
            if status == 403:
                raise AccessDenied(f"GET {url}: access denied ({message or 403})", 403)
            raise GitHubError(f"GET {url}: HTTP {status} {message}".rstrip(), status)

    @staticmethod
    def _is_rate_limited(status: int, headers: dict[str, str], message: str) -> bool:
        lowered = message.lower()
        return (
            status == 429
            or "retry-after" in headers
            or headers.get("x-ratelimit-remaining") == "0"
            or "rate limit" in lowered
            or "abuse" in lowered
            or lowered.endswith("please wait a few minutes before you try again.")
        )

    def _rate_limit_wait(self, headers: dict[str, str], secondary_hits: int) -> tuple[float, str]:
        """Seconds to wait and why, in GitHub's documented order of precedence."""
        if "retry-after" in headers:
            try:
                return max(float(headers["retry-after"]), 0.0), "secondary rate limit (Retry-After)"
            except ValueError:
                pass
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            reset = float(headers["x-ratelimit-reset"])
            return max(reset - time.time(), 0.0) + 1.0, "primary rate limit exhausted, until reset"
        seconds = min(self.policy.secondary_wait * 2**secondary_hits, 3600.0)
        return seconds, "secondary rate limit"

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter"

    def _wait(self, seconds: float, why: str) -> None:
        if self.stats.waited_seconds + seconds > self.policy.max_wait:
            self.abort.set()
            raise MaxWaitExceeded(
                f"{why}: waiting {seconds:.0f} s more would pass --max-wait "
                f"({self.policy.max_wait:.0f} s); stopping with everything so far saved"
            )
        log.warning("waiting %.1f s: %s", seconds, why)
        self.stats.add_wait(seconds)
        if self.abort.wait(seconds):
            raise Aborted("stopped because another part of the ingest failed")


def _settle_environment(connection: HTTPRequestsConnectionClass) -> None:
    """Read the proxy and CA-bundle settings from the environment once, for the connection's host.

    requests reads them on every request (`trust_env`): walking `os.environ` twice per GET cost
    more CPU than the rest of the request. The values are those requests would compute per
    request (same host, same variables: HTTP(S)_PROXY, ALL_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE,
    CURL_CA_BUNDLE); .netrc is already off (PyGithub sets an auth of its own).
    """
    session = connection.session
    origin = f"{connection.protocol}://{connection.host}:{connection.port}"
    session.proxies = requests.utils.get_environ_proxies(origin)
    if connection.verify is True:
        connection.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
    session.trust_env = False


class _SettledHTTPConnection(HTTPRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _settle_environment(self)


class _SettledHTTPSConnection(HTTPSRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _settle_environment(self)


_SETTLED = {
    HTTPRequestsConnectionClass: _SettledHTTPConnection,
    HTTPSRequestsConnectionClass: _SettledHTTPSConnection,
}


def _read_environment_once(requester: Any) -> None:
    """Make this requester's connections read the environment when created, not per request.

    PyGithub has no per-instance hook for its connection class, so this sets the private
    attribute it reads; if a PyGithub upgrade renames it, requests go on working the slow way
    (tests/ingest/test_client.py notices).
    """
    attribute = "_Requester__connectionClass"
    settled = _SETTLED.get(getattr(requester, attribute, None))
    if settled is not None:
        setattr(requester, attribute, settled)


def _message(text: str) -> str:
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""
