"""What bench_ingest measures with: `dora simulator` in a process of its own, and timed syncs.

A sync is the real `dora ingest` path in this process (`flows.ingest.ingest_with_settings`,
no Prefect server), against the simulator over loopback HTTP; what it cost is read from the
simulator's own counters, as GitHub counts it: REST requests that are not 304 (and not the free
`/rate_limit`) plus GraphQL points.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FREE_ROUTES = {"/rate_limit"}
CREDENTIAL_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKENS")


@dataclass
class Cost:
    """Requests by (route, status) and GraphQL points between two reads of the counters."""

    routes: Counter
    points: int

    @property
    def rest(self) -> int:
        return sum(n for (route, _), n in self.routes.items() if route != "/graphql")

    @property
    def charged_rest(self) -> int:
        return sum(
            n
            for (route, status), n in self.routes.items()
            if route != "/graphql" and route not in FREE_ROUTES and status != "304"
        )

    @property
    def units(self) -> int:
        """What GitHub charges: REST requests that are not 304 or free, plus GraphQL points."""
        return self.charged_rest + self.points

    def by_route(self) -> dict[str, int]:
        """Charged REST requests per route template."""
        out: Counter = Counter()
        for (route, status), n in self.routes.items():
            if route != "/graphql" and route not in FREE_ROUTES and status != "304":
                out[route] += n
        return dict(out)


class Simulator:
    """One `dora simulator` process and its counters."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/_simulator/stats") as response:
            return json.load(response)

    def counters(self) -> tuple[Counter, int]:
        stats = self.stats()
        routes: Counter = Counter()
        for route, by_status in stats["requests"].items():
            for status, n in by_status.items():
                routes[route, status] += n
        return routes, stats["graphql"]["points"]

    def advance(self, days: int) -> None:
        request = urllib.request.Request(
            f"{self.base_url}/_simulator/advance?days={days}", method="POST"
        )
        urllib.request.urlopen(request, timeout=600).close()


@contextmanager
def simulator(*arguments: str):
    """`dora simulator ARGUMENTS --port 0` until the block ends."""
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/dora"), "simulator", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield Simulator(process.stdout.readline().strip())
    finally:
        process.terminate()
        process.wait()


@dataclass
class Sync:
    """One timed sync: its summary, its cost and its wall-clock seconds (waits included)."""

    summary: Any
    cost: Cost
    seconds: float


def sync(
    server: Simulator, db: Path, credentials: dict[str, str], config: str | None = None
) -> Sync:
    """One `dora ingest --repo acme/*` in this process with `credentials` as the environment
    and the settings of `config` (else the defaults), request pacing off."""
    from flows.ingest import ingest_with_settings
    from settings.config import Settings, load_settings

    settings = load_settings(config) if config else Settings()
    settings.github.seconds_between_requests = 0  # a local server
    settings.github.max_wait_seconds = 1e9  # budget waits are part of what is timed
    saved = {name: os.environ.pop(name, None) for name in CREDENTIAL_VARIABLES}
    os.environ.update(credentials)
    before, points_before = server.counters()
    started = time.perf_counter()
    try:
        summary = ingest_with_settings(
            settings, repos=["acme/*"], base_url=server.base_url, db=str(db)
        )
    finally:
        for name in CREDENTIAL_VARIABLES:
            os.environ.pop(name, None)
            if saved[name] is not None:
                os.environ[name] = saved[name]
    seconds = time.perf_counter() - started
    after, points_after = server.counters()
    return Sync(summary, Cost(after - before, points_after - points_before), seconds)
