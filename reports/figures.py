"""The week's figures, read with SQL from the published snapshot (never the working database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from reports.levels import LevelCrossing, level_crossings
from reports.snapshot import columns as _columns
from reports.snapshot import open_snapshot
from reports.snapshot import rows as _rows
from reports.snapshot import tables as _tables

TREND_WEEKS = 4
SLOWEST_CHANGES = 5
# A change that reached staging and is still not in production this long after is "stuck".
STUCK_AFTER_DAYS = 3
# Changes that reached staging longer ago than this are history, not a promotion waiting.
STUCK_LOOKBACK_DAYS = 30
LIST_LIMIT = 10
DEFAULT_ENVIRONMENTS = ("development", "staging", "production")
# data_quality columns (METRICS.md section 5) that say what was left out or estimated ...
DATA_QUALITY_CAVEATS = (
    "unfinished_deployments",
    "superseded_deployments",
    "retried_attempts",
    "estimated_times",
    "changes_without_baseline",
    "negative_lead_times",
    "unattributed_incidents",
    "unresolved_commit_ranges",
    "skipped_items",
)
# ... and those that say how much data there is in all
DATA_QUALITY_TOTALS = ("deployment_attempts", "changes", "incidents")


@dataclass(frozen=True)
class WeekValues:
    """One scope's `dora_weekly` row for one week; a week without a row has no deployments."""

    week_start: date
    deployments: int = 0
    deploy_days: int = 0
    change_failures: int = 0
    change_fail_rate: float | None = None
    lead_time_p50_seconds: float | None = None
    lead_time_p90_seconds: float | None = None
    recovery_p50_seconds: float | None = None
    rework_rate: float | None = None


@dataclass(frozen=True)
class ScopeTrend:
    """The five metrics of one repo × service × environment over the last weeks (oldest first)."""

    repo: str
    service: str
    environment: str
    weeks: list[WeekValues]

    @property
    def current(self) -> WeekValues:
        return self.weeks[-1]

    @property
    def previous(self) -> WeekValues:
        return self.weeks[-2]


@dataclass(frozen=True)
class WeeklyFigures:
    """Everything the weekly email shows, as rows read from the snapshot."""

    week_start: date
    as_of: datetime | None
    built_at: datetime | None
    edition: str | None
    scopes: list[ScopeTrend]
    level_crossings: list[LevelCrossing]
    change_failures: list[dict[str, Any]]
    slowest_changes: list[dict[str, Any]]
    stuck_promotions: list[dict[str, Any]]
    stuck_promotions_total: int
    manual_deployments: list[dict[str, Any]]
    data_quality: dict[str, Any] = field(default_factory=dict)
    other_environments: dict[str, int] = field(default_factory=dict)
    orchestration: dict[str, Any] | None = None
    goals: list[dict[str, Any]] = field(default_factory=list)  # each goal's latest period
    team: str | None = None  # a team's email: only its scopes

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=7)


def week_monday(day: date) -> date:
    """The Monday starting the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def default_week(db: Path, today: date | None = None) -> date:
    """The last complete ISO week before the snapshot's latest data (else before today)."""
    with open_snapshot(db) as con:
        latest = None
        if "snapshot_info" in _tables(con):
            row = con.execute("select coalesce(as_of, built_at) from snapshot_info").fetchone()
            latest = row[0] if row else None
    reference = latest.date() if isinstance(latest, datetime) else (latest or today or date.today())
    return week_monday(reference) - timedelta(days=7)


def gather_week(db: Path, week_start: date, environments: list[str] | None = None) -> WeeklyFigures:
    """Read the figures of the ISO week starting on `week_start` from the published snapshot.

    Only `environments` (the promotion order; production listed first) are detailed: transient
    ones such as `preview-pr-12` are summed up in one line.
    """
    if week_start.weekday() != 0:
        raise ValueError(f"{week_start} is not a Monday: weeks start on Monday (ISO)")
    shown = _production_first(environments or list(DEFAULT_ENVIRONMENTS))
    with open_snapshot(db) as con:
        tables = _tables(con)
        info = _snapshot_info(con) if "snapshot_info" in tables else {}
        scopes = _scope_trends(con, week_start, shown)
        stuck, stuck_total = (
            _stuck_promotions(con, week_start) if "promotion_lag" in tables else ([], 0)
        )
        return WeeklyFigures(
            week_start=week_start,
            as_of=info.get("as_of"),
            built_at=info.get("built_at"),
            edition=info.get("edition"),
            scopes=scopes,
            level_crossings=level_crossings(con, week_start) if "rolling_levels" in tables else [],
            change_failures=_change_failures(con, week_start, shown),
            slowest_changes=_slowest_changes(con, week_start),
            stuck_promotions=stuck,
            stuck_promotions_total=stuck_total,
            manual_deployments=_manual_deployments(con, week_start, shown),
            other_environments=_other_environments(con, week_start, shown),
            data_quality={
                **_data_quality(con, week_start, "data_quality" in tables),
                **(_history_coverage(con) if "history_coverage" in tables else {}),
            },
            orchestration=_orchestration(con, week_start)
            if {"orchestration_proposals", "releases"} <= tables
            else None,
        )


def _orchestration(con: duckdb.DuckDBPyConnection, week_start: date) -> dict[str, Any] | None:
    """The proposed orchestrator that saves the most manual steps per production release over
    the four weeks up to this one (medians of the `releases` mart), if any repo has one."""
    first = week_start - timedelta(days=7 * (TREND_WEEKS - 1))
    rows = _rows(
        con,
        """
        select
            p.repo,
            count(*) as releases,
            quantile_cont(r.manual_runs, 0.5) as manual_runs_p50,
            quantile_cont(r.manual_steps_with_proposal, 0.5) as with_proposal_p50,
            manual_runs_p50 - with_proposal_p50 as removed,
        from orchestration_proposals p
        inner join releases r using (repo)
        where p.workflow_yaml is not null and r.released_at >= ? and r.released_at < ?
        group by p.repo
        order by removed desc, releases desc, p.repo
        limit 1
        """,
        [first, week_start + timedelta(days=7)],
    )
    return rows[0] if rows else None


def _snapshot_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = _rows(con, "select * from snapshot_info limit 1", [])
    return rows[0] if rows else {}


def _production_first(environments: list[str]) -> list[str]:
    """Production, then the promotion order backwards (staging before development)."""
    rest = [e for e in reversed(environments) if e != "production"]
    return ["production", *rest]


def _scope_trends(
    con: duckdb.DuckDBPyConnection, week_start: date, shown: list[str]
) -> list[ScopeTrend]:
    """Scopes active in the last four weeks, each with a dense four-week series."""
    first = week_start - timedelta(days=7 * (TREND_WEEKS - 1))
    rows = _rows(
        con,
        """
        with weeks as (
            select cast(w as date) as week_start
            from range(cast(? as date), cast(? as date) + interval 1 day, interval 7 day) as t(w)
        ),
        scopes as (
            select distinct repo, service, environment
            from dora_weekly
            where week_start between ? and ? and deployments + change_failures > 0
              and list_contains(?, environment)
        )
        select s.repo, s.service, s.environment, w.week_start,
               coalesce(d.deployments, 0) as deployments,
               coalesce(d.deploy_days, 0) as deploy_days,
               coalesce(d.change_failures, 0) as change_failures,
               d.change_fail_rate, d.lead_time_p50_seconds, d.lead_time_p90_seconds,
               d.recovery_p50_seconds, d.rework_rate
        from scopes as s
        cross join weeks as w
        left join dora_weekly as d
            on d.repo = s.repo and d.service = s.service and d.environment = s.environment
            and cast(d.week_start as date) = w.week_start
        order by list_position(?, s.environment), s.repo, s.service, w.week_start
        """,
        [first, week_start, first, week_start, shown, shown],
    )
    trends: dict[tuple[str, str, str], list[WeekValues]] = {}
    for row in rows:
        key = (row.pop("repo"), row.pop("service"), row.pop("environment"))
        trends.setdefault(key, []).append(WeekValues(**row))
    return [ScopeTrend(*key, weeks=weeks) for key, weeks in trends.items()]


def _change_failures(
    con: duckdb.DuckDBPyConnection, week_start: date, shown: list[str]
) -> list[dict[str, Any]]:
    """Change failures whose failure started this week, with reasons and recovery."""
    # METRICS.md: failed_at for deploy_failed, else deployed_at (the mart's failure_started_at)
    start = (
        "failure_started_at"
        if "failure_started_at" in _columns(con, "deployments")
        else "case when outcome = 'failure' then failed_at else deployed_at end"
    )
    return _rows(
        con,
        f"""
        select * from (
            select repo, service, environment, deployment_id, sha, outcome, run_url, commit_url,
                   failure_reasons, restored_at, recovery_seconds, {start} as failure_start
            from deployments
            where is_change_failure and list_contains(?, environment)
        )
        where failure_start >= ? and failure_start < ?
        order by list_position(?, environment), failure_start
        """,
        [shown, week_start, week_start + timedelta(days=7), shown],
    )


def _slowest_changes(con: duckdb.DuckDBPyConnection, week_start: date) -> list[dict[str, Any]]:
    """The production changes deployed this week that took longest from first commit."""
    return _rows(
        con,
        """
        select repo, service, environment, sha, commit_url, message_headline, author_login,
               pr_number, pr_url, pr_title, lead_time_seconds, coding_seconds, review_seconds,
               delivery_seconds, deployed_at
        from changes
        where environment = 'production' and deployed_at >= ? and deployed_at < ?
          and lead_time_seconds >= 0
        order by lead_time_seconds desc, sha
        limit ?
        """,
        [week_start, week_start + timedelta(days=7), SLOWEST_CHANGES],
    )


def _manual_deployments(
    con: duckdb.DuckDBPyConnection, week_start: date, shown: list[str]
) -> list[dict[str, Any]]:
    """Deployments whose workflow run was started by hand this week."""
    return _rows(
        con,
        """
        select repo, service, environment, deployment_id, sha, outcome, run_url,
               coalesce(deployed_at, failed_at, created_at) as happened_at
        from deployments
        where is_manual and created_at >= ? and created_at < ? and list_contains(?, environment)
        order by list_position(?, environment), happened_at
        """,
        [week_start, week_start + timedelta(days=7), shown, shown],
    )


def _stuck_promotions(
    con: duckdb.DuckDBPyConnection, week_start: date
) -> tuple[list[dict[str, Any]], int]:
    """Changes that reached staging but not production STUCK_AFTER_DAYS after, at week end."""
    week_end = week_start + timedelta(days=7)
    # one row per change and environment it reached: pivot the two stages we need
    source = """
        select repo, service, sha,
               min(reached_at) filter (where environment = 'staging') as staging_at,
               min(reached_at) filter (where environment = 'production') as production_at
        from promotion_lag group by repo, service, sha
    """
    sql = f"""
        with stages as ({source}),
        -- changes that reached staging before a service's first production deployment may
        -- have shipped with it unattributed (no baseline): only later ones can be called stuck
        with_production as (
            select repo, service, min(deployed_at) as first_production_at
            from deployments
            where environment = 'production' and outcome = 'success'
            group by repo, service
        ),
        stuck as (
            select s.repo, s.service, s.sha, s.staging_at,
                   date_diff('second', s.staging_at, cast(? as timestamp)) as waiting_seconds
            from stages as s
            join with_production as p using (repo, service)
            where s.staging_at > p.first_production_at
              and s.staging_at < cast(? as timestamp) - interval (?) day
              and s.staging_at >= cast(? as timestamp) - interval (?) day
              and (s.production_at is null or s.production_at >= cast(? as timestamp))
        )
        select stuck.*, c.commit_url, c.message_headline, c.pr_url, c.pr_number,
               count(*) over () as total
        from stuck
        left join (
            select distinct on (repo, service, sha) repo, service, sha, commit_url,
                   message_headline, pr_url, pr_number
            from changes order by repo, service, sha, deployed_at
        ) as c using (repo, service, sha)
        order by staging_at, repo, sha
        limit ?
    """
    rows = _rows(
        con,
        sql,
        [week_end, week_end, STUCK_AFTER_DAYS, week_end, STUCK_LOOKBACK_DAYS, week_end, LIST_LIMIT],
    )
    total = int(rows[0]["total"]) if rows else 0
    return rows, total


def _data_quality(
    con: duckdb.DuckDBPyConnection, week_start: date, has_table: bool
) -> dict[str, Any]:
    """How much data backs the week's numbers, and what was left out (summed over repos)."""
    week = [week_start, week_start + timedelta(days=7)]
    backing = _rows(
        con,
        """
        select
            (select count(*) from deployments
             where coalesce(deployed_at, failed_at, created_at) >= ?
               and coalesce(deployed_at, failed_at, created_at) < ?) as attempts,
            (select count(*) from changes where deployed_at >= ? and deployed_at < ?) as changes,
            (select count(distinct repo) from deployments) as repos
        """,
        week + week,
    )[0]
    left_out: dict[str, int] = {}
    history: dict[str, int] = {}
    if has_table:
        present = _columns(con, "data_quality")
        wanted = [c for c in (*DATA_QUALITY_CAVEATS, *DATA_QUALITY_TOTALS) if c in present]
        if wanted:
            sums = ", ".join(f'coalesce(sum("{c}"), 0) as "{c}"' for c in wanted)
            totals = _rows(con, f"select {sums} from data_quality", [])[0]
            left_out = {c: int(totals[c]) for c in DATA_QUALITY_CAVEATS if c in totals}
            history = {c: int(totals[c]) for c in DATA_QUALITY_TOTALS if c in totals}
    return {**backing, "left_out": left_out, "history": history}


def _history_coverage(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """How far back history reaches: repositories whose history is complete, and the earliest
    point from which the others' history is complete (newest first, `ingest.history`)."""
    row = _rows(
        con,
        """
        select
            count(*) as repos,
            count(*) filter (where history_state = 'complete') as complete,
            min(history_from) filter (where history_state <> 'complete') as partial_from
        from history_coverage
        """,
        [],
    )[0]
    return {"history_coverage": row}


def _other_environments(
    con: duckdb.DuckDBPyConnection, week_start: date, shown: list[str]
) -> dict[str, int]:
    """How many environments outside the promotion order deployed this week, and how often."""
    row = con.execute(
        """
        select count(distinct environment), coalesce(sum(deployments), 0)
        from dora_weekly
        where cast(week_start as date) = ? and not list_contains(?, environment)
          and deployments + change_failures > 0
        """,
        [week_start, shown],
    ).fetchone()
    return {"environments": int(row[0]), "deployments": int(row[1])}
