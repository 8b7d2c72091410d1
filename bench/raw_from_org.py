"""Load a simulated organisation's records straight into the raw tables, without HTTP.

A shortcut for benchmarks only (ingesting ~1M runs over HTTP would take hours). It stores what
an ingest would: the typed columns the models read, `payload` rendered by the simulator's own
payload functions as the server would send it (listed shapes, runs without `pull_requests` as
asked with `exclude_pull_requests=true`), and jobs only for the runs whose jobs the ingest
fetches (`ingest.streams.jobs.JobPolicy`), so a scan of the raw tables costs what it costs on an
ingested database. The real path (simulator -> HTTP -> ingest) is what
tests/models/test_end_to_end_truth.py checks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa

from ingest.streams.commit_files import files_row
from ingest.streams.jobs import JobPolicy
from ingest.workflow_yaml import parse_workflow
from settings.config import Settings
from simulator.records import Organisation, Repository
from simulator.server import actions_payloads as actions
from simulator.server import git_payloads as git
from simulator.server import payloads as render
from simulator.server.responses import FRAGMENTS

API, WEB = "https://api.github.com", "https://github.com"

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
        """Insert the rows gathered so far and start over (one repo at a time bounds memory)."""
        table = pa.table(self.columns)
        con.register("_arrow_rows", table)
        names = ", ".join(self.columns)
        con.execute(f"insert into raw.{self.name} ({names}) select {names} from _arrow_rows")
        con.unregister("_arrow_rows")
        self.columns = {c: [] for c in self.columns}
        return table.num_rows


def _job_policy(repo: str, definitions: list[tuple[str, str | None]], settings: Settings):
    """The ingest's own rule for which runs get their jobs fetched, over this repo's YAML."""
    store = SimpleNamespace(query=lambda sql, params: definitions)
    return JobPolicy(SimpleNamespace(repo=repo, store=store, settings=settings))


def dump(body: dict) -> str:
    """The JSON text the simulator's server sends for `body` (shared sub-objects spliced in)."""
    return FRAGMENTS.dump(body).decode()


def load_organisation(
    org: Organisation, db: str | Path, settings: Settings | None = None
) -> dict[str, int]:
    """Create the raw schema in `db` and fill it from `org`; returns row counts per table.

    `settings` (verification workflows, deploy rules) decide which runs' jobs are stored, and
    its `[[services]]` path rules which repositories' commits have their files stored.
    """
    settings = settings or Settings()
    counts: dict[str, int] = {}
    with duckdb.connect(str(db)) as con:
        con.execute(RAW_SCHEMA.read_text())
        for full, repo in org.repos.items():
            for name, rows in _load_repo(con, full, repo, settings).items():
                counts[name] = counts.get(name, 0) + rows
    return counts


def _load_repo(
    con: duckdb.DuckDBPyConnection, full: str, repo: Repository, settings: Settings
) -> dict[str, int]:
    """One repository's rows, payloads included, inserted table by table."""
    tables = {
        name: _Table(name, columns.split())
        for name, columns in {
            "repositories": "repo repo_id full_name default_branch archived private html_url "
            "created_at pushed_at payload",
            "workflows": "repo workflow_id name path state created_at updated_at payload",
            "workflow_runs": "repo run_id run_attempt workflow_id name path event status "
            "conclusion head_sha head_branch actor_login run_number display_title created_at "
            "run_started_at updated_at html_url payload",
            "workflow_jobs": "repo job_id run_id run_attempt name status conclusion head_sha "
            "created_at started_at completed_at payload",
            "deployments": "repo deployment_id sha ref task environment description created_at "
            "updated_at payload",
            "deployment_statuses": "repo status_id deployment_id state environment log_url "
            "created_at payload",
            "commits": "repo sha parents author_login author_date committer_date message payload",
            "pull_requests": "repo number title state head_ref base_ref merge_commit_sha labels "
            "created_at closed_at merged_at payload",
            "pull_request_commits": "repo pr_number sha author_date payload",
            "issues": "repo number title state labels created_at closed_at payload",
            "workflow_files": "repo path content definition parse_error",
            "commit_files": "repo sha status paths file_count payload",
        }.items()
    }
    url = f"{WEB}/{full}"
    definitions = []
    for path, text in repo.workflow_files.items():
        definition, error = parse_workflow(text)
        definitions.append((path, json.dumps(definition) if definition else None))
        tables["workflow_files"].add(full, path, text, definitions[-1][1], error)
    jobs_wanted = _job_policy(full, definitions, settings)
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
        dump(render.repository(API, WEB, repo)),
    )
    for w in repo.workflows:
        tables["workflows"].add(
            full,
            w.id,
            w.name,
            w.path,
            w.state,
            _utc(w.created_at),
            _utc(w.updated_at),
            dump(actions.workflow(API, WEB, repo, w)),
        )
    mini_repo = FRAGMENTS.token(
        ("bench-mini", full), lambda: render.minimal_repository(API, WEB, repo)
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
            dump(actions.workflow_run(API, WEB, repo, r, [], mini_repo)),
        )
        if r.status != "completed" or not jobs_wanted.wants({"path": r.path, "name": r.name}):
            continue
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
                dump(actions.job(API, WEB, repo, r, j)),
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
            dump(actions.deployment(API, WEB, repo, d)),
        )
        for s in d.statuses:
            tables["deployment_statuses"].add(
                full,
                s.id,
                d.id,
                s.state,
                s.environment,
                s.log_url,
                _utc(s.created_at),
                dump(actions.deployment_status(API, WEB, repo, d, s)),
            )
    with_files = any(rule.repo == full.lower() for rule in settings.services)
    for c in repo.commits.values():
        tables["commits"].add(
            full,
            c.sha,
            list(c.parents),
            c.author.login,
            _utc(c.author_date),
            _utc(c.committer_date),
            c.message,
            dump(git.commit(API, WEB, repo, c)),
        )
        if with_files and len(c.parents) <= 1:  # what the commit_files stream stores
            row = files_row(full, c.sha, git.changed_files(API, WEB, repo, c)[:3000])
            tables["commit_files"].add(*row.values())
    pull_repo = FRAGMENTS.token(
        ("bench-pull", full), lambda: render.pull_repository(API, WEB, repo)
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
            dump(git.pull_request(API, WEB, repo, p, pull_repo)),
        )
        if p.merged_at:
            for commit_sha in p.commits:
                commit = repo.commits.get(commit_sha)
                tables["pull_request_commits"].add(
                    full,
                    p.number,
                    commit_sha,
                    _utc(commit.author_date) if commit else None,
                    dump(git.commit(API, WEB, repo, commit)) if commit else None,
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
            dump(git.issue(API, WEB, repo, i)),
        )
    return {name: table.flush(con) for name, table in tables.items()}
