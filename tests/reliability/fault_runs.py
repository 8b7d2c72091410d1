"""Ingest runs for the fault and kill tests: one organisation, clean and faulty servers, one port.

The clean and the faulty server of a comparison listen on the same port, because GitHub payloads
embed the API's URL and the simulator's ETags hash the payload: on another port every ETag would
differ for a reason that has nothing to do with faults.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from ingest.client import RetryPolicy
from ingest.credentials import CredentialPool
from ingest.streams.base import ProgressCallback
from ingest.sync import IngestRun
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.records import Organisation
from simulator.server import FAULT_KINDS, FaultSpec, SimulatorServer

END = date(2026, 11, 20)
# No pacing: the simulator is on loopback. The retry policy is the product's, with short
# backoffs so a test waits milliseconds where GitHub would ask for seconds.
# The demo's deploy rule: its runs are the ones whose jobs are fetched; a path rule for the
# monorepo: its commits' files are fetched.
FAST = Settings.model_validate(
    {
        "github": {"seconds_between_requests": 0},
        "deploy_rules": [
            {"workflow": ".github/workflows/terraform-apply.yml", "environment": "production"}
        ],
        "services": [{"repo": "acme/platform", "name": "api", "paths": ["services/api/**"]}],
    }
)
SHORT_BACKOFF = RetryPolicy(backoff_base=0.01, backoff_cap=0.05)
# Raw tables that hold what GitHub said: each must have rows, or a comparison proves little.
DATA_TABLES = (
    "repositories", "workflows", "workflow_runs", "workflow_jobs", "deployments",
    "deployment_statuses", "environments", "commits", "pull_requests", "pull_request_commits",
    "issues", "workflow_files", "commit_files",
)  # fmt: skip


@cache
def organisation(scale: str, days: int) -> Organisation:
    """The seeded organisation; generated once per session (the servers only read it)."""
    return generate_organisation(seed=7, scale=scale, days=days, end=END)


@contextmanager
def serve(
    org: Organisation, port: int = 0, faults: FaultSpec | None = None, **options: int
) -> Iterator[SimulatorServer]:
    with SimulatorServer(org, port=port, faults=faults, **options) as server:
        yield server


def sync_in_process(
    base_url: str,
    db: Path,
    token: str | CredentialPool = "fault-test-token",
    progress: ProgressCallback | None = None,
) -> list[str]:
    """One plain ingest run (the code the flow's tasks run, without Prefect); its stream errors."""
    run = IngestRun(FAST, db, token, base_url=base_url, policy=SHORT_BACKOFF, progress=progress)
    try:
        run.sync_all(["acme/*"])
    finally:
        run.close()
    return [f"{r.repo} {r.stream}: {r.error}" for r in run.results if r.error]


@dataclass
class FaultCount:
    """What the simulator injected, from its own stats (not from the client's view)."""

    by_kind: dict[str, int]
    primary_403s: int  # requests refused because the primary budget was spent
    requests: int
    # primary faults drawn for a request the budget does not pay for (a 304, /rate_limit, an
    # invalid GraphQL query): the budget is spent all the same, that request is not refused
    primary_free: int = 0

    @classmethod
    def of(cls, stats: dict) -> FaultCount:
        all_403 = sum(counts.get("403", 0) for counts in stats["requests"].values())
        by_kind = {kind: stats["faults"].get(kind, 0) for kind in FAULT_KINDS}
        # Secondary-limit 403s are counted as the "403" fault; every other 403 is the primary,
        # and so is a GraphQL query answered RATE_LIMITED (GitHub sends those with HTTP 200).
        graphql = stats.get("graphql", {})
        primary = all_403 - by_kind["403"] + graphql.get("rate_limited", 0)
        free = stats["primary_on_free_answers"] + graphql.get("primary_on_free_answers", 0)
        return cls(by_kind, primary, stats["total_requests"], free)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def figures(self) -> dict[str, int]:
        out = {f"faults_{kind}": n for kind, n in self.by_kind.items()}
        out.update(faults_injected=self.total, primary_limit_403s=self.primary_403s)
        out["primary_faults_on_free_answers"] = self.primary_free
        out["requests_served"] = self.requests
        return out


_CLEAN: dict[tuple[str, int], Path] = {}


def remember_clean(scale: str, days: int, db: Path) -> None:
    """Keep a fault-free raw database for other tests of the session (they copy it)."""
    _CLEAN[scale, days] = db


def clean_raw_copy(scale: str, days: int, target: Path) -> Path:
    """A copy of the fault-free raw database of (scale, days), syncing it first if needed."""
    if (scale, days) not in _CLEAN:
        db = target.with_name(f"clean-{scale}-{days}.duckdb")
        with serve(organisation(scale, days)) as server:
            errors = sync_in_process(server.base_url, db)
        assert not errors, errors
        _CLEAN[scale, days] = db
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(_CLEAN[scale, days], target))
