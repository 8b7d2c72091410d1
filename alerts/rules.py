"""Which alerts a build raises: SQL over the new marts and the previous published snapshot.

- level_drop: a production DORA level (the rolling, non-flapping one of `rolling_levels`) is
  worse now than in the previous snapshot; per team, or per repo x service without teams.
- goal_missed: a goal's latest period was met in the previous snapshot and is missed now.
- open_failure (critical): a production change failure still open longer than
  `alerts.open_failure_hours` at the build's time (its --as-of, if any), among those that
  started within the levels' window.
- sync_stale: a repository whose streams were last all synced longer ago than
  `alerts.sync_stale_hours`.
The first two need a previous snapshot; without one (a first build) they raise nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb

from alerts.model import Alert
from reports import formatting
from settings.config import Settings
from settings.metrics_catalogue import label_of_level_key

PREVIOUS = "previous_snapshot"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? "
            "and table_name = ?",
            [catalog, schema, table],
        ).fetchone()[0]
    )


def _link(settings: Settings, page: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{settings.email.dashboard_url.rstrip('/')}/{page}" + (f"?{query}" if query else "")


def _owners(con: duckdb.DuckDBPyConnection, repo: str, service: str | None) -> tuple[str, ...]:
    """The teams that own a scope (or, without a service, a repository)."""
    if service is None:
        sql, params = "select distinct team from marts.team_repositories where repo = ?", [repo]
    else:
        sql = "select distinct team from marts.team_scopes where repo = ? and service = ?"
        params = [repo, service]
    return tuple(sorted(team for (team,) in con.execute(sql, params).fetchall()))


def level_drops(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Alert]:
    """Production levels worse now than in the previous snapshot (both banded)."""
    if not _has_table(con, PREVIOUS, "main", "rolling_levels"):
        return []
    (with_teams,) = con.execute(
        "select count(*) > 0 from marts.rolling_levels where unit_kind = 'team'"
    ).fetchone()
    kind = "team" if with_teams else "service"
    rows = _rows(
        con,
        f"""
        with now as (
            select unit_kind, unit, repo, service, metric, level, level_rank, value,
                   window_days, evaluated_at, counted_deployments
            from marts.rolling_levels
            where is_latest and state = 'banded' and unit_kind = ?
        ),
        before as (
            select unit_kind, unit, metric, level, level_rank
            from {PREVIOUS}.main.rolling_levels
            where is_latest and state = 'banded' and unit_kind = ?
        )
        select now.*, before.level as previous_level
        from now
        join before using (unit_kind, unit, metric)
        where now.level_rank > before.level_rank
        order by now.unit, now.metric
        """,
        [kind, kind],
    )
    alerts = []
    for row in rows:
        label = label_of_level_key(row["metric"])
        unit, when = row["unit"], row["evaluated_at"]
        teams = (unit,) if kind == "team" else _owners(con, row["repo"], row["service"])
        alerts.append(
            Alert(
                key=f"level_drop/{kind}/{unit}/{row['metric']}/{row['previous_level']}->{row['level']}/{when:%Y-%m-%d}",  # fmt: skip
                kind="level_drop",
                severity="warning",
                title=f"{unit}: {label} dropped from {row['previous_level']} to {row['level']}",
                lines=(
                    f"DORA level of {label.lower()} in production over the last {row['window_days']} days: "  # fmt: skip
                    f"{row['previous_level']} in the previous snapshot, {row['level']} now.",
                    f"{row['counted_deployments']} counted deployments in the window, up to {when:%Y-%m-%d %H:%M} UTC.",  # fmt: skip
                ),
                teams=teams,
                link=_link(
                    settings,
                    "teams" if kind == "team" else "",
                    team=unit if kind == "team" else None,
                    repo=row["repo"],
                    env="production",
                ),  # fmt: skip
                facts={
                    "unit": unit,
                    "metric": row["metric"],
                    "previous_level": row["previous_level"],
                    "level": row["level"],
                    "value": row["value"],
                },  # fmt: skip
            )
        )
    return alerts


def goals_missed(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Alert]:
    """Goals whose latest period was met in the previous snapshot and is missed now."""
    if not _has_table(con, PREVIOUS, "main", "goal_status"):
        return []
    rows = _rows(
        con,
        f"""
        select now.goal_id, now.goal, now.team, now.unit_kind, now.metric, now.value,
               now.period_start, now.period_end, now.counted_deployments,
               before.period_end as previous_period_end
        from marts.goal_status as now
        join {PREVIOUS}.main.goal_status as before
            on before.goal_id = now.goal_id and before.team = now.team and before.is_latest
        where now.is_latest and now.status = 'missed' and before.status = 'met'
        order by now.goal_order, now.team
        """,
        [],
    )
    alerts = []
    for row in rows:
        team, end = row["team"], row["period_end"]
        last_day = end - timedelta(days=1)
        alerts.append(
            Alert(
                key=f"goal_missed/{row['goal_id']}/{team}/{end:%Y-%m-%d}",
                kind="goal_missed",
                severity="warning",
                title=f"{team} missed a goal: {row['goal']}",
                lines=(
                    f"Measured {formatting.goal_value(row['metric'], row['value'])} from {row['period_start']:%Y-%m-%d} to {last_day:%Y-%m-%d} "  # fmt: skip
                    f"({row['counted_deployments']} counted deployments); the period before met it.",
                ),
                teams=(team,) if row["unit_kind"] == "team" else (),
                link=_link(settings, "teams", team=team if row["unit_kind"] == "team" else None),
                facts={
                    "goal_id": row["goal_id"],
                    "team": team,
                    "metric": row["metric"],
                    "value": row["value"],
                },  # fmt: skip
            )
        )
    return alerts


def open_failures(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Alert]:
    """Production change failures open longer than `alerts.open_failure_hours` (critical)."""
    rows = _rows(
        con,
        """
        -- now, or the --as-of time of a build of the past
        with reference as (
            select coalesce(settings.as_of, info.built_at) as at, rules.window_days
            from marts.snapshot_info as info
            cross join cfg.settings as settings
            cross join cfg.level_rules as rules
        )
        select d.repo, d.service, d.source, d.deployment_id, d.sha, d.failure_reasons,
               d.failure_started_at, d.run_url,
               date_diff('second', d.failure_started_at, reference.at) / 3600.0 as open_hours
        from marts.deployments as d
        cross join reference
        where d.environment = 'production' and d.is_change_failure
          and date_diff('second', d.failure_started_at, reference.at) >= ?
          and d.failure_started_at > reference.at - to_days(reference.window_days)
          and (d.restored_at is null or d.restored_at > reference.at)
        order by d.failure_started_at, d.repo, d.deployment_id
        """,
        [settings.alerts.open_failure_hours * 3600],
    )
    alerts = []
    for row in rows:
        where = f"{row['repo']} · {row['service']}"
        reasons = (row["failure_reasons"] or "").replace("_", " ").replace(",", ", ")
        alerts.append(
            Alert(
                key=f"open_failure/{row['repo']}/{row['source']}/{row['deployment_id']}",
                kind="open_failure",
                severity="critical",
                title=f"{where}: production change failure open for {row['open_hours']:.0f} h",
                lines=(
                    f"Deployment {row['deployment_id']} ({(row['sha'] or '')[:7]}) failed at {row['failure_started_at']:%Y-%m-%d %H:%M} UTC: {reasons or 'change failure'}.",  # fmt: skip
                    "Not restored yet: no healthy deployment since, and its incidents are still open.",  # fmt: skip
                    *([f"Run: {row['run_url']}"] if row["run_url"] else []),
                ),
                teams=_owners(con, row["repo"], row["service"]),
                link=_link(settings, "stability", repo=row["repo"], env="production"),
                facts={
                    "repo": row["repo"],
                    "service": row["service"],
                    "deployment_id": row["deployment_id"],
                    "open_hours": round(row["open_hours"], 1),
                },  # fmt: skip
            )
        )
    return alerts


def stale_syncs(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime) -> list[Alert]:
    """Repositories not fully synced for longer than `alerts.sync_stale_hours`."""
    if not _has_table(con, con.execute("select current_database()").fetchone()[0], "raw", "sync_state"):  # fmt: skip
        return []
    rows = _rows(
        con,
        """
        select repo, min(synced_at) as synced_at,
               date_diff('second', min(synced_at), cast(? as timestamp)) / 3600.0 as hours
        from raw.sync_state
        where synced_at is not null
        group by repo
        having date_diff('second', min(synced_at), cast(? as timestamp)) >= ?
        order by repo
        """,
        [now, now, settings.alerts.sync_stale_hours * 3600],
    )
    return [
        Alert(
            key=f"sync_stale/{row['repo']}/{row['synced_at']:%Y-%m-%dT%H:%M:%S}",
            kind="sync_stale",
            severity="warning",
            title=f"{row['repo']}: not synced for {row['hours']:.0f} h",
            lines=(
                f"Every stream of {row['repo']} was last synced together at {row['synced_at']:%Y-%m-%d %H:%M} UTC: "  # fmt: skip
                "its figures are that old. `dora ingest` says which stream fails and why.",
            ),
            teams=_owners(con, row["repo"], None),
            link=_link(settings, "data_quality", repo=row["repo"]),
            facts={"repo": row["repo"], "hours": round(row["hours"], 1)},
        )
        for row in rows
    ]


def raise_alerts(
    con: duckdb.DuckDBPyConnection, previous: Path | None, settings: Settings, now: datetime
) -> list[Alert]:
    """Every alert the build in `con` raises against the previous snapshot file (if any)."""
    attached = previous is not None and previous.is_file()
    if attached:
        path = str(previous).replace("'", "''")
        con.execute(f"attach '{path}' as {PREVIOUS} (read_only)")
    try:
        found = level_drops(con, settings) + goals_missed(con, settings) if attached else []
        found += open_failures(con, settings) + stale_syncs(con, settings, now)
    finally:
        if attached:
            con.execute(f"detach {PREVIOUS}")
    return [
        Alert(**{**alert.__dict__, "raised_at": now}) for alert in found
    ]  # one timestamp per build
