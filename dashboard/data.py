"""Every query the pages run: parameterised SQL over the snapshot's marts, aggregated in DuckDB.

Period figures are aggregations of the marts' own per-row facts (`is_counted`,
`is_change_failure`, `lead_time_seconds`, `recovery_seconds`, ...) in SQL; no metric is derived in
Python. Inputs from the page reach DuckDB only as named parameters.
"""

from __future__ import annotations

import pandas as pd

from dashboard.scope import Scope
from dashboard.snapshot import query
from models.period import PERIOD_MACRO as PERIOD

# A team is the scopes `team_scopes` gives it; the key is compared outside the subquery, so
# `repo` and `service` are the filtered table's own columns.
IN_TEAM = """
    ($team::varchar is null or repo || chr(31) || service in (
        select repo || chr(31) || service from team_scopes where team = $team
    ))
"""
# The same, as `dora_period`'s scope_keys: NULL for no team, [] for a team that owns nothing.
TEAM_KEYS = """(case when $team::varchar is null then null else coalesce(
    (select list(repo || chr(31) || service) from team_scopes where team = $team::varchar), []
) end)"""
IN_SCOPE = f"""
    ($repo::varchar is null or repo = $repo)
    and ($service::varchar is null or service = $service)
    and ($environment::varchar is null or environment = $environment)
    and {IN_TEAM}
"""
# A deployment belongs to the period of its deployed_at, or failed_at for a failed attempt.
AT = "coalesce(deployed_at, failed_at)"
IN_PERIOD = f"{AT} >= $start and {AT} < $end"
BUCKETS = """
    buckets as (
        select unnest(generate_series(
            date_trunc($grain, $start::timestamp),
            $end::timestamp - interval 1 second,
            case $grain when 'week' then interval 7 day else interval 1 month end
        )) as bucket
    )
"""
KIND = """
    case
        when is_retried then 'retried'
        when outcome = 'failure' then 'failed deploy'
        when outcome in ('unfinished', 'superseded') then outcome
        when is_rollback then 'rollback'
        when is_redeploy then 'redeploy'
        when is_change_failure then 'change failure'
        else 'success'
    end
"""


def _scoped(scope: Scope, **extra: object) -> dict[str, object]:
    return {**scope.params(), "grain": scope.grain, "edition": scope.edition, **extra}


# --- Filters and snapshot facts ---


def scopes() -> pd.DataFrame:
    """Every repo x service x environment with deployments, plus repos that have none."""
    return query(
        """
        select r.repo, d.service, d.environment
        from repositories r
        left join (select distinct repo, service, environment from deployments) d using (repo)
        order by 1, 2, 3
        """
    )


def teams() -> pd.DataFrame:
    """Every team, in the config's order (GitHub's own teams after it)."""
    return query("select team, source, recipients from teams order by team_order, team")


def team_scopes() -> pd.DataFrame:
    """Team x repo x service: which scopes each team owns."""
    return query("select team, repo, service from team_scopes order by all")


def snapshot_info() -> pd.DataFrame:
    """When the snapshot was built, the data's as-of time, window, edition and last sync."""
    return query("select * from snapshot_info")


def data_span() -> pd.DataFrame:
    """First and last deployment time in the snapshot (bounds of the date filter)."""
    return query(
        f"select min(coalesce(created_at, {AT}))::date as first_day, max({AT})::date as last_day from deployments"
    )


# --- DORA figures ---


def period_summary(scope: Scope) -> pd.DataFrame:
    """One row: the five metrics and their parts for the scope's period.

    The build's own `dora_period` macro computes them (the one definition `dora_summary` uses),
    over [first day 00:00, day after the last 00:00), its [start, end) convention.
    """
    return query(PERIOD + f"select * from dora_period('deployments', 'changes', $start, $end, $repo, $service, $environment, false, {TEAM_KEYS})", **_scoped(scope))  # fmt: skip


def levels(summary: pd.Series, edition: str) -> dict[str, str | None]:
    """The DORA level of each banded metric: the build's `dora_level` macro on `dora_levels`.

    A metric without a value (no changes, no failures) gets no level: "no data", never "elite".
    """
    from models.levels import LEVEL_MACRO, MEASURES, METRICS  # the one definition of banding

    params = {m: (None if pd.isna(summary.get(m)) else float(summary.get(m))) for m in MEASURES}
    metrics = ", ".join(f"('{metric}')" for metric in METRICS)
    frame = query(
        LEVEL_MACRO
        + f"""
        select metric, dora_level('dora_levels', $edition, metric, {{
            -- NULL from dora_period without a counted deployment or a whole ISO week
            deploy_days_per_week_p50: $deploy_days_per_week_p50::double,
            deploy_days_per_month_p50: $deploy_days_per_month_p50::double,
            deploy_days: $deploy_days::double,
            lead_time_p50_seconds: $lead_time_p50_seconds::double,
            change_fail_rate: $change_fail_rate::double,
            recovery_p50_seconds: $recovery_p50_seconds::double,
        }}) as level
        from (values {metrics}) as metrics (metric)
        """,
        edition=edition,
        **params,
    )
    pairs = zip(frame["metric"], frame["level"], strict=True)
    return {metric: level for metric, level in pairs if not pd.isna(level)}


def trend(scope: Scope) -> pd.DataFrame:
    """Per week or month of the period: the five metrics, empty periods included as zero / NULL."""
    return query(
        f"""
        with {BUCKETS},
        counted as (
            select date_trunc($grain, {AT}) as bucket, *
            from deployments where {IN_SCOPE} and is_counted and {IN_PERIOD}
        ),
        by_deployments as (
            select
                bucket,
                count(*) filter (outcome = 'success') as deployments,
                count(distinct deployed_at::date) filter (outcome = 'success') as deploy_days,
                count(*) as counted_deployments,
                count(*) filter (is_change_failure) as change_failures,
                count(*) filter (is_rework and outcome = 'success') as rework_deployments,
                quantile_cont(recovery_seconds, 0.5) filter (is_change_failure)
                    as recovery_p50_seconds
            from counted group by bucket
        ),
        by_changes as (
            select
                date_trunc($grain, deployed_at) as bucket,
                quantile_cont(lead_time_seconds, 0.5) as lead_time_p50_seconds,
                quantile_cont(lead_time_seconds, 0.9) as lead_time_p90_seconds,
                count(*) as changes
            from changes
            where {IN_SCOPE} and deployed_at >= $start and deployed_at < $end
            group by bucket
        )
        select
            b.bucket::date as period_start,
            coalesce(d.deployments, 0) as deployments,
            coalesce(d.deploy_days, 0) as deploy_days,
            coalesce(d.counted_deployments, 0) as counted_deployments,
            coalesce(d.change_failures, 0) as change_failures,
            d.change_failures / nullif(d.counted_deployments, 0) as change_fail_rate,
            d.rework_deployments / nullif(d.deployments, 0) as rework_rate,
            d.recovery_p50_seconds,
            c.lead_time_p50_seconds,
            c.lead_time_p90_seconds,
            coalesce(c.changes, 0) as changes,
            c.lead_time_p50_seconds / 3600 as lead_time_p50_hours,
            c.lead_time_p90_seconds / 3600 as lead_time_p90_hours,
            d.recovery_p50_seconds / 3600 as recovery_p50_hours
        from buckets b
        left join by_deployments d using (bucket)
        left join by_changes c using (bucket)
        order by b.bucket
        """,
        **_scoped(scope),
    )


def summary_by_scope() -> pd.DataFrame:
    """The `dora_summary` mart as built (window and edition of the snapshot), per scope."""
    return query(
        """
        select
            repo, service, environment,
            deployments,
            deploys_per_week,
            deployment_frequency_level,
            lead_time_p50_seconds / 3600 as lead_time_p50_hours,
            lead_time_level,
            change_fail_rate,
            change_fail_rate_level,
            recovery_p50_seconds / 3600 as recovery_p50_hours,
            recovery_level,
            rework_rate
        from dora_summary
        order by environment = 'production' desc, repo, service, environment
        """
    )
