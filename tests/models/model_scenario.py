"""Tiny hand-written raw datasets for model tests: rows in, the real runner, tables out."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from models import runner
from models.settings_tables import write_settings_tables
from settings.config import Settings

RAW_SCHEMA = Path(__file__).parents[2] / "ingest" / "raw_schema.sql"
T0 = datetime(2026, 3, 2, 9, 0)  # a Monday


def at(hours: float = 0, days: float = 0) -> datetime:
    """A time relative to T0 (Monday 2026-03-02 09:00 UTC)."""
    return T0 + timedelta(days=days, hours=hours)


def sha(name: str) -> str:
    """A readable fake sha: the name padded to 40 hex-looking chars (names stay unique)."""
    return (name.encode().hex() + "0" * 40)[:40]


class Scenario:
    """A raw database under construction; `build()` runs the real models and SQL tests."""

    def __init__(self, path: Path, repo: str = "acme/api") -> None:
        self.path = path
        self.repo = repo
        self.con = duckdb.connect(str(path))
        self.con.execute(RAW_SCHEMA.read_text())
        self.rows: dict[str, list[dict]] = {}
        self.add(
            "repositories", repo=repo, html_url=f"https://github.com/{repo}", default_branch="main"
        )

    def add(self, table: str, **row) -> None:
        row.setdefault("repo", self.repo)
        self.rows.setdefault(table, []).append(row)

    # --- helpers for the common records ---
    def commit(
        self,
        name: str,
        parents: list[str] = (),
        authored: datetime = T0,
        message: str | None = None,
    ) -> str:
        self.add(
            "commits",
            sha=sha(name),
            parents=[sha(p) for p in parents],
            author_date=authored,
            committer_date=authored,
            message=message or f"change {name}",
            author_login="dev",
        )
        return sha(name)

    def chain(self, names: list[str], start: str | None = None, authored: datetime = T0) -> None:
        """Linear history: each commit's parent is the one before (first one on `start`)."""
        previous = start
        for name in names:
            self.commit(name, [previous] if previous else [], authored)
            previous = name

    def deployment(
        self,
        deployment_id: int,
        commit: str,
        created: datetime,
        statuses: list[tuple[str, datetime]],
        environment: str = "production",
        description: str | None = None,
        task: str = "deploy",
        run_id: int | None = None,
    ) -> None:
        self.add(
            "deployments",
            deployment_id=deployment_id,
            sha=sha(commit),
            ref="main",
            task=task,
            environment=environment,
            description=description,
            created_at=created,
            updated_at=created,
        )
        for i, (state, when) in enumerate(statuses):
            log_url = (
                f"https://github.com/{self.repo}/actions/runs/{run_id}/job/1" if run_id else None
            )
            self.add(
                "deployment_statuses",
                status_id=deployment_id * 100 + i,
                deployment_id=deployment_id,
                state=state,
                environment=environment,
                created_at=when,
                updated_at=when,
                log_url=log_url,
            )

    def ok(self, deployment_id: int, commit: str, when: datetime, **kwargs) -> None:
        """A deployment created 10 minutes before its success status at `when`."""
        self.deployment(
            deployment_id,
            commit,
            when - timedelta(minutes=10),
            [("in_progress", when - timedelta(minutes=5)), ("success", when)],
            **kwargs,
        )

    def failed(self, deployment_id: int, commit: str, when: datetime, **kwargs) -> None:
        self.deployment(
            deployment_id,
            commit,
            when - timedelta(minutes=10),
            [("in_progress", when - timedelta(minutes=5)), ("failure", when)],
            **kwargs,
        )

    def run(
        self,
        run_id: int,
        path: str,
        commit: str,
        started: datetime,
        conclusion: str = "success",
        name: str | None = None,
        title: str | None = None,
        completed: datetime | None = None,
        event: str = "push",
    ) -> None:
        """A completed workflow run; with `completed`, also its one job that finished then."""
        self.add(
            "workflow_runs",
            run_id=run_id,
            path=path,
            name=name or path.rsplit("/", 1)[-1].removesuffix(".yml").capitalize(),
            display_title=title,
            event=event,
            status="completed",
            conclusion=conclusion,
            head_sha=sha(commit),
            head_branch="main",
            created_at=started,
            run_started_at=started,
            updated_at=completed or started,
        )
        if completed is not None:
            self.add(
                "workflow_jobs",
                job_id=run_id * 10,
                run_id=run_id,
                name="deploy",
                status="completed",
                conclusion=conclusion,
                started_at=started,
                completed_at=completed,
            )

    def incident(
        self,
        number: int,
        created: datetime,
        closed: datetime | None = None,
        labels: list[str] = ("incident",),
        state: str | None = None,
    ) -> None:
        self.add(
            "issues",
            number=number,
            title=f"incident {number}",
            labels=list(labels),
            created_at=created,
            closed_at=closed,
            state=state or ("closed" if closed else "open"),
        )

    def pull_request(
        self,
        number: int,
        merge_commit: str,
        created: datetime,
        merged: datetime,
        commits: list[tuple[str, datetime]] = (),
        head_ref: str = "feature",
        labels: list[str] = (),
    ) -> None:
        self.add(
            "pull_requests",
            number=number,
            title=f"PR {number}",
            state="closed",
            head_ref=head_ref,
            base_ref="main",
            merge_commit_sha=sha(merge_commit),
            labels=list(labels),
            created_at=created,
            merged_at=merged,
            closed_at=merged,
        )
        for name, authored in commits:
            self.add(
                "pull_request_commits",
                pr_number=number,
                sha=sha(name),
                author_date=authored,
                committer_date=authored,
            )

    def load(self) -> None:
        """Insert the rows gathered so far (DataFrame -> INSERT ... SELECT by column name)."""
        for table, rows in self.rows.items():
            frame = pd.DataFrame(rows)
            self.con.register("_rows", frame)
            columns = ", ".join(frame.columns)
            self.con.execute(f"insert into raw.{table} ({columns}) select {columns} from _rows")
            self.con.unregister("_rows")
        self.rows = {}

    def build(
        self,
        settings: Settings | None = None,
        as_of: datetime | None = None,
        window_days: int | None = None,
    ) -> runner.BuildResult:
        self.load()
        write_settings_tables(self.con, settings or Settings(), as_of, window_days)
        return runner.build(self.con)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def table(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def records(self, sql: str) -> list[dict]:
        """Rows as dicts of plain Python values (NULL -> None)."""
        result = self.con.execute(sql)
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]

    def deployments(self) -> dict[int, dict]:
        """marts.deployments keyed by deployment_id."""
        return {r["deployment_id"]: r for r in self.records("select * from marts.deployments")}
