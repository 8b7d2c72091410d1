"""What the proposal is made from: one repository's workflows, environments and releases, as built.

Everything comes from the build's tables (never from GitHub): the workflow files of the default
branch with the ingest's parse (`stg_github__workflow_files`), which of them only people start
(`marts.workflow_dependencies`), the environments and their protection rules, and each production
release's manual runs in the order people started them (`int_releases__steps`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import duckdb

from orchestrator.workflow_file import WorkflowFile, read_workflow

DEPENDS_ON = (
    "stg.stg_github__workflow_files",
    "stg.stg_github__environments",
    "stg.stg_github__repositories",
    "marts.workflow_dependencies",
    "int.int_deployments__classified",
    "int.int_releases__steps",
    "int.int_workflow_runs__timed",
)


@dataclass(frozen=True)
class Environment:
    """A GitHub environment of the repo; `production` when its deployments count as production."""

    name: str
    required_reviewers: bool = False
    production: bool = False
    deployments: int = 0


@dataclass(frozen=True)
class Step:
    """One manual run of a release: which workflow, and whether it deployed to production."""

    workflow_path: str
    deploys_production: bool = False


@dataclass
class Estate:
    """One repository as the build knows it."""

    repo: str
    workflows: list[WorkflowFile]
    manual_only: set[str] = field(default_factory=set)
    environments: list[Environment] = field(default_factory=list)
    releases: list[list[Step]] = field(default_factory=list)
    default_branch: str = "main"
    runs: Counter[str] = field(default_factory=Counter)  # runs per workflow path, any event

    def workflow(self, path: str) -> WorkflowFile | None:
        return next((w for w in self.workflows if w.path == path), None)


def repos(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Repositories with at least one workflow file."""
    rows = con.execute("select distinct repo from stg.stg_github__workflow_files order by repo")
    return [repo for (repo,) in rows.fetchall()]


def load_estate(con: duckdb.DuckDBPyConnection, repo: str) -> Estate:
    """Read one repository's estate from a built database."""
    files = con.execute(
        "select workflow_path, content from stg.stg_github__workflow_files where repo = ? "
        "order by workflow_path",
        [repo],
    ).fetchall()
    manual_only = con.execute(
        "select workflow_path from marts.workflow_dependencies "
        "where repo = ? and kind = 'workflow' and is_manual_only",
        [repo],
    ).fetchall()
    runs = con.execute(
        "select workflow_path, count(*) from int.int_workflow_runs__timed where repo = ? "
        "group by all",
        [repo],
    ).fetchall()
    branch = con.execute(
        "select default_branch from stg.stg_github__repositories where repo = ?", [repo]
    ).fetchone()
    return Estate(
        repo=repo,
        workflows=[read_workflow(path, text or "") for path, text in files],
        manual_only={path for (path,) in manual_only},
        environments=_environments(con, repo),
        releases=_releases(con, repo),
        default_branch=(branch[0] if branch and branch[0] else "main"),
        runs=Counter(dict(runs)),
    )


def _environments(con: duckdb.DuckDBPyConnection, repo: str) -> list[Environment]:
    rows = con.execute(
        """
        with production as (
            select environment_name, count(*) as deployments
            from int.int_deployments__classified
            where repo = $repo and environment = 'production'
            group by all
        )
        select
            coalesce(environments.environment_name, production.environment_name),
            coalesce(environments.has_required_reviewers, false),
            production.environment_name is not null
                or lower(environments.environment_name) in ('production', 'prod', 'prd', 'live'),
            coalesce(production.deployments, 0),
        from stg.stg_github__environments as environments
        full join production
            on production.environment_name = environments.environment_name
        where environments.repo = $repo or environments.repo is null
        order by all
        """,
        {"repo": repo},
    ).fetchall()
    return [Environment(name, reviewers, prod, count) for name, reviewers, prod, count in rows]


def _releases(con: duckdb.DuckDBPyConnection, repo: str) -> list[list[Step]]:
    rows = con.execute(
        "select release_id, workflow_path, deploys_production from int.int_releases__steps "
        "where repo = ? order by release_id, step",
        [repo],
    ).fetchall()
    releases: dict[int, list[Step]] = {}
    for release_id, path, production in rows:
        releases.setdefault(release_id, []).append(Step(path, bool(production)))
    return list(releases.values())
