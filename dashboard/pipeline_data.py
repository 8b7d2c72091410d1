"""Queries behind the pipeline, before/after and data-quality pages."""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd

from dashboard.data import AT, IN_SCOPE, _scoped
from dashboard.scope import Scope
from dashboard.snapshot import query

IN_REPO = "($repo::varchar is null or repo = $repo)"


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
        """
        select
            environment,
            any_value(stage_order) as stage_order,
            count(distinct sha) as changes,
            quantile_cont(lag_seconds, 0.5) / 3600 as lag_p50_hours,
            any_value(previous_environment) as previous_environment
        from promotion_lag
        where ($repo::varchar is null or repo = $repo)
            and ($service::varchar is null or service = $service)
            and reached_at >= $start and reached_at < $end
        group by environment
        order by stage_order
        """,
        **_scoped(scope),
    )


def promotion_trend(scope: Scope) -> pd.DataFrame:
    """Median time between consecutive environments, per week or month."""
    return query(
        """
        select
            date_trunc($grain, reached_at)::date as period_start,
            previous_environment || ' → ' || environment as step,
            quantile_cont(lag_seconds, 0.5) / 3600 as lag_p50_hours,
            count(*) as changes
        from promotion_lag
        where ($repo::varchar is null or repo = $repo)
            and ($service::varchar is null or service = $service)
            and reached_at >= $start and reached_at < $end
            and lag_seconds is not null
        group by all
        order by 1, 2
        """,
        **_scoped(scope),
    )


def before_after(scope: Scope, pivot: date) -> pd.DataFrame:
    """Side-by-side figures for [start, pivot) and [pivot, end] of the scope's period."""
    return query(
        f"""
        with counted as (
            select *, {AT} >= $pivot as after
            from deployments where {IN_SCOPE} and is_counted and {AT} >= $start and {AT} < $end
        ),
        lead as (
            select deployed_at >= $pivot as after,
                quantile_cont(lead_time_seconds, 0.5) as lead_time_p50_seconds
            from changes
            where {IN_SCOPE} and deployed_at >= $start and deployed_at < $end
            group by 1
        ),
        rollbacks as (
            select rolled.deployed_at >= $pivot as after,
                quantile_cont(date_diff('second', rolled.deployed_at, back.deployed_at), 0.5)
                    as rollback_p50_seconds
            from counted rolled join deployments back on back.deployment_id = rolled.rolled_back_by
            group by 1
        ),
        manual as (
            select week_start >= $pivot as after, sum(manual_runs) as manual_runs
            from workflow_runs_weekly
            where {IN_REPO} and week_start >= $start and week_start < $end
            group by 1
        ),
        sides as (
            select
                after,
                count(*) filter (outcome = 'success') as deployments,
                count(*) filter (is_change_failure) as change_failures,
                count(*) as counted_deployments,
                quantile_cont(recovery_seconds, 0.5) filter (is_change_failure)
                    as recovery_p50_seconds
            from counted group by after
        )
        select
            case when p.after then 'after' else 'before' end as period,
            coalesce(s.deployments, 0) as deployments,
            coalesce(s.deployments, 0)
                / (date_diff('day', case when p.after then $pivot else $start end,
                                    case when p.after then $end else $pivot end) / 7.0)
                as deploys_per_week,
            l.lead_time_p50_seconds / 3600 as lead_time_p50_hours,
            s.change_failures / nullif(s.counted_deployments, 0) as change_fail_rate,
            s.recovery_p50_seconds / 3600 as recovery_p50_hours,
            m.manual_runs / nullif(s.deployments, 0) as manual_runs_per_release,
            r.rollback_p50_seconds / 3600 as rollback_p50_hours
        from (values (false), (true)) p(after)
        left join sides s using (after)
        left join lead l using (after)
        left join rollbacks r using (after)
        left join manual m using (after)
        order by p.after
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
        f"from orchestration_proposals where {IN_REPO}",
        repo=repo,
    )
