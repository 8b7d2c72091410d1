"""Load a simulated organisation's records straight into the raw tables, without HTTP.

A shortcut for benchmarks only (ingesting ~1M runs over HTTP would take hours): it fills the typed
columns the models read, leaves `payload` NULL, and parses workflow YAML with the ingest's parser.
The real path (simulator -> HTTP -> ingest) is what tests/models/test_end_to_end_truth.py checks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.workflow_yaml import parse_workflow
from simulator.records import Organisation

RAW_SCHEMA = Path(__file__).parents[1] / "ingest" / "raw_schema.sql"


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value else None


class _Table:
    """Column lists for one raw table, flushed as one Arrow insert."""

    def __init__(self, name: str, columns: list[str]) -> None:
        self.name = name
        self.columns = {c: [] for c in columns}

    def add(self, *values) -> None:
        for column, value in zip(self.columns.values(), values, strict=True):
            column.append(value)

    def flush(self, con: duckdb.DuckDBPyConnection) -> int:
        table = pa.table(self.columns)
        con.register("_arrow_rows", table)
        names = ", ".join(self.columns)
        con.execute(f"insert into raw.{self.name} ({names}) select {names} from _arrow_rows")
        con.unregister("_arrow_rows")
        return table.num_rows


def load_organisation(org: Organisation, db: str | Path) -> dict[str, int]:
    """Create the raw schema in `db` and fill it from `org`; returns row counts per table."""
    tables = {
        "repositories": _Table(
            "repositories",
            [
                "repo",
                "repo_id",
                "full_name",
                "default_branch",
                "archived",
                "private",
                "html_url",
                "created_at",
                "pushed_at",
            ],
        ),
        "workflows": _Table(
            "workflows",
            ["repo", "workflow_id", "name", "path", "state", "created_at", "updated_at"],
        ),
        "workflow_runs": _Table(
            "workflow_runs",
            [
                "repo",
                "run_id",
                "run_attempt",
                "workflow_id",
                "name",
                "path",
                "event",
                "status",
                "conclusion",
                "head_sha",
                "head_branch",
                "actor_login",
                "run_number",
                "display_title",
                "created_at",
                "run_started_at",
                "updated_at",
                "html_url",
            ],
        ),
        "workflow_jobs": _Table(
            "workflow_jobs",
            [
                "repo",
                "job_id",
                "run_id",
                "run_attempt",
                "name",
                "status",
                "conclusion",
                "head_sha",
                "created_at",
                "started_at",
                "completed_at",
            ],
        ),
        "deployments": _Table(
            "deployments",
            [
                "repo",
                "deployment_id",
                "sha",
                "ref",
                "task",
                "environment",
                "description",
                "created_at",
                "updated_at",
            ],
        ),
        "deployment_statuses": _Table(
            "deployment_statuses",
            ["repo", "status_id", "deployment_id", "state", "environment", "log_url", "created_at"],
        ),
        "commits": _Table(
            "commits",
            ["repo", "sha", "parents", "author_login", "author_date", "committer_date", "message"],
        ),
        "pull_requests": _Table(
            "pull_requests",
            [
                "repo",
                "number",
                "title",
                "state",
                "head_ref",
                "base_ref",
                "merge_commit_sha",
                "labels",
                "created_at",
                "closed_at",
                "merged_at",
            ],
        ),
        "pull_request_commits": _Table(
            "pull_request_commits", ["repo", "pr_number", "sha", "author_date"]
        ),
        "issues": _Table(
            "issues", ["repo", "number", "title", "state", "labels", "created_at", "closed_at"]
        ),
        "workflow_files": _Table(
            "workflow_files", ["repo", "path", "content", "definition", "parse_error"]
        ),
    }
    for full, repo in org.repos.items():
        url = f"https://github.com/{full}"
        tables["repositories"].add(
            full,
            repo.id,
            full,
            repo.default_branch,
            repo.archived,
            repo.private,
            url,
            _utc(repo.created_at),
            _utc(repo.pushed_at),
        )
        for w in repo.workflows:
            tables["workflows"].add(
                full, w.id, w.name, w.path, w.state, _utc(w.created_at), _utc(w.updated_at)
            )
        for r in repo.runs:
            tables["workflow_runs"].add(
                full,
                r.id,
                r.run_attempt,
                r.workflow_id,
                r.name,
                r.path,
                r.event,
                r.status,
                r.conclusion,
                r.head_sha,
                r.head_branch,
                r.actor.login,
                r.run_number,
                r.display_title,
                _utc(r.created_at),
                _utc(r.run_started_at),
                _utc(r.updated_at),
                f"{url}/actions/runs/{r.id}",
            )
            for j in r.jobs:
                tables["workflow_jobs"].add(
                    full,
                    j.id,
                    j.run_id,
                    j.run_attempt,
                    j.name,
                    j.status,
                    j.conclusion,
                    r.head_sha,
                    _utc(j.created_at),
                    _utc(j.started_at),
                    _utc(j.completed_at),
                )
        for d in repo.deployments:
            tables["deployments"].add(
                full,
                d.id,
                d.sha,
                d.ref,
                d.task,
                d.environment,
                d.description,
                _utc(d.created_at),
                _utc(d.updated_at),
            )
            for s in d.statuses:
                tables["deployment_statuses"].add(
                    full, s.id, d.id, s.state, s.environment, s.log_url, _utc(s.created_at)
                )
        for c in repo.commits.values():
            tables["commits"].add(
                full,
                c.sha,
                list(c.parents),
                c.author.login,
                _utc(c.author_date),
                _utc(c.committer_date),
                c.message,
            )
        for p in repo.pulls:
            tables["pull_requests"].add(
                full,
                p.number,
                p.title,
                p.state,
                p.head_ref,
                p.base_ref,
                p.merge_commit_sha,
                list(p.labels),
                _utc(p.created_at),
                _utc(p.closed_at),
                _utc(p.merged_at),
            )
            if p.merged_at:
                for commit_sha in p.commits:
                    commit = repo.commits.get(commit_sha)
                    tables["pull_request_commits"].add(
                        full, p.number, commit_sha, _utc(commit.author_date) if commit else None
                    )
        for i in repo.issues:
            tables["issues"].add(
                full,
                i.number,
                i.title,
                i.state,
                list(i.labels),
                _utc(i.created_at),
                _utc(i.closed_at),
            )
        for path, text in repo.workflow_files.items():
            definition, error = parse_workflow(text)
            tables["workflow_files"].add(
                full, path, text, json.dumps(definition) if definition else None, error
            )
    with duckdb.connect(str(db)) as con:
        con.execute(RAW_SCHEMA.read_text())
        return {name: table.flush(con) for name, table in tables.items()}
