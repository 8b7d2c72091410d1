"""PyGithub set-up and the one place where rate limits, faults and waits are handled.

Every GET goes through `GitHubClient.get`, on PyGithub's `Requester.requestJson` (auth, base URL,
pacing, URL checks). urllib3's retries are switched off (`retry=None`) so that each attempt is
seen here: counted, logged with what it waits for and how long, and bounded by `max_wait`.
`PaginatedList` is not used for lists because it never sends `If-None-Match`; a 304 is what makes
a re-sync nearly free (GitHub does not charge it against the rate limit). Which credential each
request goes out on, and what a 401 or a spent budget does to that, is `ingest.credential_choice`;
the errors are `ingest.errors` (re-exported here).
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
from github import Github
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

from ingest.credential_choice import CredentialChoice
from ingest.credentials import Credential, CredentialPool
from ingest.errors import (  # noqa: F401 (re-exported: the ingest's errors, as they always were)
    RETRYABLE_NETWORK,
    Aborted,
    AccessDenied,
    BadCredentials,
    GitHubError,
    MaxWaitExceeded,
    NotFound,
    TransientError,
)

log = logging.getLogger("dora.ingest")

LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


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
    """PyGithub `Github`s for one worker thread (one per credential, `CredentialChoice`) plus the
    rate-limit and retry policy; each request goes out on the credential with most budget left."""

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
        self.policy = policy or RetryPolicy()
        self.stats = stats or RequestStats()
        self.abort = abort or threading.Event()
        if not isinstance(token, CredentialPool):
            token = CredentialPool([Credential("GITHUB_TOKEN", token)] if token else [])
        options = {
            "base_url": self.base_url,
            "per_page": per_page,
            "timeout": int(timeout),
            "seconds_between_requests": seconds_between_requests,
        }

        def new_github(auth: Any) -> Github:
            github = Github(
                auth=auth,
                lazy=True,
                retry=None,  # the policy below handles every retry, so each is counted and logged
                **options,
            )
            _read_environment_once(github.requester)
            return github

        self.credentials = CredentialChoice(
            token, new_github, options, owner, self.abort, self._wait
        )

    @property
    def owner(self) -> str | None:
        return self.credentials.owner

    @owner.setter
    def owner(self, owner: str | None) -> None:
        self.credentials.owner = owner

    def close(self) -> None:
        self.credentials.close()

    @property
    def _requester(self) -> Requester:
        return self.credentials.requester_for("core")

    def check_abort(self) -> None:
        if self.abort.is_set():
            raise Aborted("stopped because another part of the ingest failed")

    def check_each_credential(self, url: str) -> None:
        """GET `url` (a free `/rate_limit`) once with every credential: rejected ones are set
        aside, and each budget is known before the first repository starts."""
        self.credentials.check_each(self.get, url)

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
            requester = self.credentials.requester_for("core")
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
            self.credentials.seen(resp_headers)
            if status in (200, 304):
                body = json.loads(text) if status == 200 and text else None
                return Response(url, status, resp_headers, body)
            message = _message(text)
            if status == 401:
                self.credentials.rejected(f"GET {url}")
                continue
            if status in (403, 429) and self._is_rate_limited(status, resp_headers, message):
                if self.credentials.switch(resp_headers):
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
