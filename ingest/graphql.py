"""GitHub's GraphQL API over PyGithub's own authenticated requester, under the client's policy.

`Requester.graphql_query` raises on any `errors` entry and retries nothing itself, so it would
throw away partial data and hide waits; this posts the same request (`requestJson("POST",
requester.graphql_url, ...)`, so base URL, auth and pacing are PyGithub's, and GitHub Enterprise
Server's `/api/graphql` comes from PyGithub's mapping) and applies the one retry policy of
`ingest.client`: network errors and 5xx back off, secondary limits (403/429) honour Retry-After,
a `RATE_LIMITED` error waits for the point budget's reset, and every other error except
`NOT_FOUND` (an object deleted since it was listed) is retried as transient, because partial data
is not trusted. Points are counted from `rateLimit { cost }`, which every query asks for.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ingest.client import (
    RETRYABLE_NETWORK,
    GitHubClient,
    NotFound,
    TransientError,
)

RATE_LIMIT_FIELDS = "rateLimit { cost remaining resetAt }"


class GraphQLUnavailable(NotFound):
    """The server has no GraphQL API (404, 405 or 501): the streams read the same data through
    REST for the rest of the run."""


@dataclass
class GraphQLResult:
    data: dict[str, Any]
    not_found: list[list[Any]] = field(default_factory=list)  # paths of NOT_FOUND errors


def graphql(client: GitHubClient, query: str, variables: dict[str, Any]) -> GraphQLResult:
    """Run one query; retries per the client's policy, raises when it gives up."""
    attempt = 0
    secondary_hits = 0
    what = "POST /graphql"
    while True:
        requester = client.credentials.requester_for("graphql")
        try:
            status, raw_headers, text = requester.requestJson(
                "POST", requester.graphql_url, input={"query": query, "variables": variables}
            )
        except RETRYABLE_NETWORK as exc:
            attempt += 1
            if attempt >= client.policy.max_attempts:
                raise TransientError(f"{what}: network error: {type(exc).__name__}") from None
            client._wait(
                client._backoff(attempt), f"network error ({type(exc).__name__}) on {what}"
            )
            continue
        headers = {k.lower(): v for k, v in raw_headers.items()}
        body = _json(text)
        client.stats.record_graphql(status, headers, body)
        client.credentials.seen(headers, graphql=True)
        if status == 401:
            client.credentials.rejected(what)
            continue
        if status in (404, 405, 501):
            raise GraphQLUnavailable(f"{what}: the server has no GraphQL API ({status})", status)
        if status in (403, 429) or status >= 500:
            attempt += 1
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            if status in (403, 429) and client._is_rate_limited(status, headers, message):
                seconds, why = client._rate_limit_wait(headers, secondary_hits)
                secondary_hits += why.startswith("secondary")
                if client.credentials.switch(headers, graphql=True):
                    continue
                client._wait(seconds, f"{why} on {what}")
                continue
            if attempt >= client.policy.max_attempts:
                raise TransientError(f"{what}: {status} after {attempt} tries", status)
            client._wait(client._backoff(attempt), f"server error {status} on {what}")
            continue
        if status != 200 or not isinstance(body, dict):
            raise TransientError(f"{what}: HTTP {status}", status)
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if any(e.get("type") == "RATE_LIMITED" for e in errors):
            if client.credentials.switch(headers, graphql=True):
                continue
            reset = float(headers.get("x-ratelimit-reset") or time.time() + 60)
            client._wait(
                max(reset - time.time(), 0.0) + 1.0,
                f"GraphQL point budget spent, until reset, on {what}",
            )
            continue
        other = [e for e in errors if e.get("type") != "NOT_FOUND"]
        if other or not isinstance(body.get("data"), dict):
            attempt += 1
            first = (other or errors or [{"message": "no data"}])[0].get("message", "")
            if attempt >= client.policy.max_attempts:
                raise TransientError(f"{what}: GraphQL error after {attempt} tries: {first}")
            client._wait(client._backoff(attempt), f"GraphQL error ({first[:60]}) on {what}")
            continue
        return GraphQLResult(body["data"], [e.get("path") or [] for e in errors])


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
