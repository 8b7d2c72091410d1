"""`POST /graphql` over HTTP: the point budget, GitHub's rate-limit errors, faults, and counters.

The query itself runs in `simulator.server.graphql`. As on GitHub, the primary limit of GraphQL is
its own budget of points (`X-RateLimit-Resource: graphql`), a query that finds it spent gets HTTP
200 with a `RATE_LIMITED` error, and an invalid query is answered with `errors` and no `data`.
Faults: the REST kinds apply as they do to REST (5xx, secondary-limit 403, 429, reset, slow,
`primary` spends the point budget); the `graphql` kind answers with partial data (one node of
the result nulled, with GitHub's "Something went wrong" error beside it).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from simulator.records import Organisation
from simulator.server.graphql import GraphQLApi, prepare, query_cost
from simulator.server.responses import dump
from simulator.server.server_state import RateBudget, ReadWriteLock

SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
SOMETHING_WENT_WRONG = (
    "Something went wrong while executing your query. This may be the result of a timeout, or "
    "it could be a GitHub bug. Please include `0C4D:2F5E:1A2B3C:4D5E6F` when reporting this issue."
)


class GraphQLStats:
    """Queries answered and points charged, apart from the REST counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.queries = self.points = self.rate_limited = self.partial = self.invalid = 0
        self.primary_on_free_answers = 0

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict:
        with self._lock:
            return {
                "graphql": {
                    "queries": self.queries,
                    "points": self.points,
                    "rate_limited": self.rate_limited,
                    "partial_data": self.partial,
                    "invalid": self.invalid,
                    "primary_on_free_answers": self.primary_on_free_answers,
                }
            }


class GraphQLEndpoint:
    def __init__(self, org: Organisation, retry_after_seconds: int = 1) -> None:
        self.api = GraphQLApi(org)
        self.stats = GraphQLStats()
        self.retry_after_seconds = retry_after_seconds

    def rebuild(self) -> None:
        self.api.rebuild()

    def respond(
        self,
        raw: bytes,
        budget: RateBudget,
        fault: tuple[str, int] | None,
        lock: ReadWriteLock,
    ) -> tuple[int, bytes, dict[str, str]]:
        """(status, body, headers) of one GraphQL request."""
        self.stats.add(queries=1)
        kind = fault[0] if fault else None
        if kind == "slow":
            time.sleep(0.05)
        elif kind == "primary":
            budget.exhaust(self.retry_after_seconds)
        elif kind == "5xx":
            return fault[1], b"", budget.headers("graphql")
        elif kind in ("403", "429"):
            headers = {**budget.headers("graphql"), "Retry-After": str(self.retry_after_seconds)}
            return fault[1], dump({"message": SECONDARY}), headers
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        document, variables, errors = prepare(body)
        if errors:
            # not charged: a primary fault drawn for it spends the budget without refusing it
            self.stats.add(invalid=1, primary_on_free_answers=int(kind == "primary"))
            return 200, dump({"errors": errors}), budget.headers("graphql")
        cost = query_cost(document, variables)
        if not budget.try_charge(cost):
            self.stats.add(rate_limited=1)
            message = "API rate limit already exceeded for user ID 1."
            payload = {"errors": [{"type": "RATE_LIMITED", "message": message}]}
            return 200, dump(payload), budget.headers("graphql")
        self.stats.add(points=cost)
        limit, used, reset = budget.snapshot()
        rate = {
            "cost": cost,
            "limit": limit,
            "remaining": max(limit - used, 0),
            "used": used,
            "resetAt": datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "nodeCount": 0,
        }
        lock.acquire_read()
        try:
            result = self.api.run(document, variables, rate)
        finally:
            lock.release_read()
        if kind == "graphql":
            self._break_one_node(result)
        return 200, dump(result), budget.headers("graphql")

    def _break_one_node(self, result: dict[str, Any]) -> None:
        """Partial data: the first non-null node of a `nodes` list becomes null, with an error."""
        data = result.get("data") or {}
        for key, value in data.items():
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if item is not None:
                        value[index] = None
                        error = {"message": SOMETHING_WENT_WRONG, "path": [key, index]}
                        result.setdefault("errors", []).append(error)
                        self.stats.add(partial=1)
                        return
        result["data"] = None
        result.setdefault("errors", []).append({"message": SOMETHING_WENT_WRONG})
        self.stats.add(partial=1)
