"""Shared helpers for the ingest tests that run against the simulator over real HTTP."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import duckdb
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ingest.client import RetryPolicy
from ingest.sync import IngestRun
from settings.config import Settings
from simulator.records import Organisation

DATA_TABLES = {
    # table -> columns that change with every fetch and are not data
    "repositories": (),
    "workflows": (),
    "workflow_runs": (),
    "workflow_jobs": (),
    "deployments": (),
    "deployment_statuses": (),
    "environments": (),
    "commits": (),
    "pull_requests": (),
    "pull_request_commits": (),
    "issues": (),
    "workflow_files": ("fetched_at",),
    "compared_shas": ("fetched_at",),
    "commit_files": (),
    "skipped_items": ("seen_at",),
}
LIST_ROUTES = (
    "/orgs/{org}/repos",
    "/repos/{owner}/{repo}/actions/runs",
    "/repos/{owner}/{repo}/actions/workflows",
    "/repos/{owner}/{repo}/deployments",
    "/repos/{owner}/{repo}/environments",
    "/repos/{owner}/{repo}/commits",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/issues",
)
FAST = Settings.model_validate({"github": {"seconds_between_requests": 0}})


def sync(base_url: str, db: Path, repos=("acme/*",), token="test-token", **kwargs) -> IngestRun:
    """One plain (Prefect-free) ingest run; returns the closed run for its results and stats."""
    policy = kwargs.pop("policy", RetryPolicy(backoff_base=0.01, backoff_cap=0.05))
    depth = kwargs.pop("depth", "all")
    run = IngestRun(
        kwargs.pop("settings", FAST), db, token, base_url=base_url, policy=policy, **kwargs
    )
    try:
        run.sync_all(list(repos), depth)
    finally:
        run.close()
    return run


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every data row of the raw layer, sorted, without the columns that record fetch times."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in DATA_TABLES:
            cols = data_columns(con, table)
            # Servers differ only by port: compare URLs without it.
            select = ", ".join(
                f"regexp_replace(\"{c}\"::varchar, '127\\.0\\.0\\.1:[0-9]+', 'BASE', 'g')"
                for c in cols
            )
            out[table] = sorted(con.execute(f"select {select} from raw.{table}").fetchall())
    return out


def data_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of raw.`table` that `snapshot` compares (fetch times left out)."""
    return [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
        if c not in DATA_TABLES[table]
    ]


def ids(db: Path, sql: str) -> set:
    with duckdb.connect(str(db), read_only=True) as con:
        return {row[0] if len(row) == 1 else row for row in con.execute(sql).fetchall()}


def default_branch_shas(repo) -> set[str]:
    seen, todo = set(), [repo.branches.get(repo.default_branch)]
    while todo:
        sha = todo.pop()
        if sha and sha not in seen and sha in repo.commits:
            seen.add(sha)
            todo.extend(repo.commits[sha].parents)
    return seen


def incident_issues(repo, labels=("incident",)) -> list:
    wanted = {label.lower() for label in labels}
    return [i for i in repo.issues if wanted & {label.lower() for label in i.labels}]


def page_minimum_by_route(org: Organisation, incident_labels=("incident",)) -> Counter:
    """Per list route: the sum over repos of ceil(items / 100), from the organisation's records."""
    pages: Counter = Counter({"/orgs/{org}/repos": math.ceil(len(org.repos) / 100)})
    r = "/repos/{owner}/{repo}"
    for repo in org.repos.values():
        for route, n in (
            (f"{r}/actions/runs", len(repo.runs)),
            (f"{r}/actions/workflows", len(repo.workflows)),
            (f"{r}/deployments", len(repo.deployments)),
            (f"{r}/environments", len(repo.environments)),
            (f"{r}/commits", len(default_branch_shas(repo))),
            (f"{r}/pulls", len(repo.pulls)),
            (f"{r}/issues", len(incident_issues(repo, incident_labels))),
        ):
            pages[route] += math.ceil(n / 100)
    return pages


def page_minimum(org: Organisation) -> int:
    """Issue 3's page minimum: sum over list streams of ceil(items / 100)."""
    return sum(page_minimum_by_route(org).values())


def requests_by_route(stats: dict) -> dict[str, dict[str, int]]:
    return stats["requests"]


def app_key() -> tuple[str, str]:
    """A GitHub App's RSA key pair as PEM: (private key, public key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
