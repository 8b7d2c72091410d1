"""Queries behind the pipeline, before/after and data-quality pages."""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd

from dashboard.data import AT, IN_SCOPE, IN_TEAM, PERIOD, TEAM_KEYS, _scoped
from dashboard.scope import Scope
from dashboard.snapshot import query

IN_REPO = """($repo::varchar is null or repo = $repo) and ($team::varchar is null or repo in (
    select repo from team_repositories where team = $team))"""


def workflow_health(scope: Scope) -> pd.DataFrame:
    """The `workflow_health` mart for the repo(s), worst success rate first."""
    return query(
        f"select * from workflow_health where {IN_REPO} order by success_rate, repo, workflow_path",
        **_scoped(scope),
    )


def workflow_dependencies(scope: Scope) -> pd.DataFrame:
    """Edges read from the workflow files: calls, triggers, deploys_to and needs."""
    return query(
        f"select * from workflow_dependencies where {IN_REPO} order by all",
        **_scoped(scope),
    )


def promotion_funnel(scope: Scope) -> pd.DataFrame:
    """How many changes of the period reached each environment, and the median wait to get there."""
    return query(
        f"""
        select
            environment,
            any_value(stage_order) as stage_order,
            count(distinct sha) as changes,
            quantile_cont(lag_seconds, 0.5) / 3600 as lag_p50_hours,
            any_value(previous_environment) as previous_environment
        from promotion_lag
        where ($repo::varchar is null or repo = $repo)
            and ($service::varchar is null or service = $service)
            and {IN_TEAM}
            and reached_at >= $start and reached_at < $end
        group by environment
        order by stage_order
        """,
        **_scoped(scope),
    )


def promotion_trend(scope: Scope) -> pd.DataFrame:
    """Median time between consecutive environments, per week or month."""
    return query(
        f"""
        select
            date_trunc($grain, reached_at)::date as period_start,
            previous_environment || ' → ' || environment as step,
            quantile_cont(lag_seconds, 0.5) / 3600 as lag_p50_hours,
            count(*) as changes
        from promotion_lag
        where ($repo::varchar is null or repo = $repo)
            and ($service::varchar is null or service = $service)
            and {IN_TEAM}
            and reached_at >= $start and reached_at < $end
            and lag_seconds is not null
        group by all
        order by 1, 2
        """,
        **_scoped(scope),
    )


def before_after(scope: Scope, pivot: date) -> pd.DataFrame:
    """Side-by-side figures for the scope's period before and after the start of `pivot`.

    The DORA figures of each side come from `dora_period` (the one definition `dora_summary`
    uses): before = [start, pivot), after = [pivot, end), its [start, end) convention.
    """
    return query(
        PERIOD
        + f"""
        with figures as (
            select false as after, * from dora_period('deployments', 'changes', $start, $pivot,
                $repo, $service, $environment, false, {TEAM_KEYS})
            union all by name
            select true as after, * from dora_period('deployments', 'changes', $pivot, $end,
                $repo, $service, $environment, false, {TEAM_KEYS})
        ),
        rollbacks as (
            select rolled.deployed_at > $pivot as after,
                quantile_cont(date_diff('second', rolled.deployed_at, back.deployed_at), 0.5)
                    as rollback_p50_seconds
            from (
                select * from deployments
                where {IN_SCOPE} and is_counted and deployed_at > $start and deployed_at <= $end
            ) rolled
            join deployments back
                on back.repo = rolled.repo and back.deployment_id = rolled.rolled_back_by
            group by 1
        ),
        manual as (
            select week_start >= $pivot as after, sum(manual_runs) as manual_runs
            from workflow_runs_weekly
            where {IN_REPO} and week_start >= $start and week_start < $end
            group by 1
        )
        select
            case when f.after then 'after' else 'before' end as period,
            f.deployments,
            f.deploys_per_week,
            f.lead_time_p50_seconds / 3600 as lead_time_p50_hours,
            f.change_fail_rate,
            f.recovery_p50_seconds / 3600 as recovery_p50_hours,
            m.manual_runs / nullif(f.deployments, 0) as manual_runs_per_release,
            r.rollback_p50_seconds / 3600 as rollback_p50_hours
        from figures f
        left join rollbacks r using (after)
        left join manual m using (after)
        order by f.after
        """,
        **_scoped(scope, pivot=datetime.combine(pivot, time.min)),
    )


def manual_runs(scope: Scope) -> pd.DataFrame:
    """Manual workflow runs per period (the before/after chart's third line)."""
    return query(
        f"""
        select date_trunc($grain, week_start)::date as period_start,
            sum(runs) as runs, sum(manual_runs) as manual_runs
        from workflow_runs_weekly
        where {IN_REPO} and week_start >= $start and week_start < $end
        group by 1 order by 1
        """,
        **_scoped(scope),
    )


def data_quality(scope: Scope) -> pd.DataFrame:
    """The `data_quality` mart (METRICS.md section 5) for the repo(s)."""
    return query(f"select * from data_quality where {IN_REPO} order by repo", **_scoped(scope))


def history_coverage(scope: Scope) -> pd.DataFrame:
    """How far back each repository's ingested history reaches (the `history_coverage` mart)."""
    return query(f"select * from history_coverage where {IN_REPO} order by repo", **_scoped(scope))


def coverage(scope: Scope) -> pd.DataFrame:
    """How much data stands behind the page: deployments by outcome, changes, incidents."""
    return query(
        f"""
        select
            (select count(*) from deployments where {IN_SCOPE}) as deployment_attempts,
            (select count(*) from deployments where {IN_SCOPE} and is_counted) as counted_deployments,
            (select count(*) from deployments where {IN_SCOPE} and outcome = 'unfinished')
                as unfinished_deployments,
            (select count(*) from deployments where {IN_SCOPE} and is_redeploy) as redeploys,
            (select count(*) from changes where {IN_SCOPE}) as attributed_changes,
            (select count(*) from incidents where {IN_REPO}) as incidents,
            (select min({AT}) from deployments where {IN_SCOPE}) as first_deployment_at,
            (select max({AT}) from deployments where {IN_SCOPE}) as last_deployment_at
        """,
        **_scoped(scope),
    )


def orchestration(scope: Scope) -> pd.DataFrame:
    """Per repo with a proposal: production releases of the period, the median manual triggers
    per release today and with the proposed orchestrator, and its approvals."""
    return query(
        """
        select
            p.repo,
            count(r.release_id) as releases,
            quantile_cont(r.manual_runs, 0.5) as manual_runs_p50,
            quantile_cont(r.manual_steps_with_proposal, 0.5) as with_proposal_p50,
            any_value(p.approval_gates) as approval_gates,
            any_value(p.file_name) as file_name,
            any_value(p.reason) as reason,
        from orchestration_proposals p
        left join releases r
            on r.repo = p.repo and r.released_at >= $start and r.released_at < $end
        where ($repo::varchar is null or p.repo = $repo)
        group by p.repo
        order by p.repo
        """,
        **_scoped(scope),
    )


def proposal(repo: str) -> pd.DataFrame:
    """The stored proposal of one repo: file, reason, rationale and its jobs."""
    return query(
        "select file_name, workflow_yaml, reason, rationale, jobs, called_workflows "
        "from orchestration_proposals where repo = $repo",
        repo=repo,
    )
