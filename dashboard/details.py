"""Queries behind the drill-downs: deployments, their changes, failures, incidents, lead times."""

from __future__ import annotations

import pandas as pd

from dashboard.data import AT, IN_PERIOD, IN_SCOPE, KIND, _scoped
from dashboard.scope import Scope
from dashboard.snapshot import query

TABLE_LIMIT = 1000


def timeline(scope: Scope) -> pd.DataFrame:
    """Deployments per day x environment x kind, every environment of the scope's repo/service."""
    return query(
        f"""
        select
            {AT}::date as day,
            environment,
            {KIND} as kind,
            count(*) as deployments
        from deployments
        where ($repo::varchar is null or repo = $repo)
            and ($service::varchar is null or service = $service)
            and {IN_PERIOD}
        group by all
        order by day, environment
        """,
        **_scoped(scope),
    )


def deployment_list(scope: Scope) -> pd.DataFrame:
    """The period's deployment attempts, newest first, with links to GitHub."""
    return query(
        f"""
        select
            d.deployment_id,
            repo,
            d.service,
            d.environment,
            {KIND} as kind,
            d.outcome,
            coalesce(d.deployed_at, d.failed_at, d.created_at) as happened_at,
            left(d.sha, 7) as sha,
            d.change_count as changes,
            d.lead_time_p50_seconds / 3600 as lead_time_p50_hours,
            d.failure_reasons,
            d.is_manual as manual,
            d.rolled_back_by,
            d.source,
            r.html_url || '/deployments/' || coalesce(d.environment_name, d.environment)
                as deployment_url,
            d.run_url,
            d.commit_url,
            -- the drill-down picker's option: made here, once per cached query, because
            -- formatting 1,000 rows in Python took 120 ms on every rerun of the page
            concat_ws(' · ',
                strftime(coalesce(d.deployed_at, d.failed_at, d.created_at), '%Y-%m-%d %H:%M'),
                repo, d.environment, {KIND}, left(d.sha, 7), '#' || d.deployment_id
            ) as picker_label
        from deployments d
        left join repositories r using (repo)
        where {IN_SCOPE}
            and coalesce(d.deployed_at, d.failed_at, d.created_at) >= $start
            and coalesce(d.deployed_at, d.failed_at, d.created_at) < $end
        order by happened_at desc, d.deployment_id desc
        limit {TABLE_LIMIT}
        """,
        **_scoped(scope),
    )


def deployment_changes(repo: str, source: str, deployment_id: int) -> pd.DataFrame:
    """The commits (and their pull requests) one deployment shipped."""
    return query(
        """
        select
            left(sha, 7) as sha,
            message_headline,
            author_login,
            pr_number,
            pr_title,
            started_at,
            lead_time_seconds / 3600 as lead_time_hours,
            commit_url,
            pr_url
        from changes
        where repo = $repo and deployment_source = $source and deployment_id = $deployment_id
        order by started_at
        """,
        repo=repo,
        source=source,
        deployment_id=int(deployment_id),
    )


LEAD_TIME_BUCKETS = """
    case
        when lead_time_seconds < 3600 then 0
        when lead_time_seconds < 4 * 3600 then 1
        when lead_time_seconds < 86400 then 2
        when lead_time_seconds < 3 * 86400 then 3
        when lead_time_seconds < 7 * 86400 then 4
        when lead_time_seconds < 30 * 86400 then 5
        else 6
    end
"""
BUCKET_NAMES = ["< 1 h", "1–4 h", "4–24 h", "1–3 d", "3–7 d", "7–30 d", "≥ 30 d"]


def lead_time_distribution(scope: Scope) -> pd.DataFrame:
    """How many changes fall in each lead-time band (bands follow the DORA level cut-offs)."""
    frame = query(
        f"""
        select {LEAD_TIME_BUCKETS} as band, count(*) as changes
        from changes
        where {IN_SCOPE} and deployed_at >= $start and deployed_at < $end
        group by band order by band
        """,
        **_scoped(scope),
    )
    names = pd.DataFrame({"band": range(len(BUCKET_NAMES)), "lead_time": BUCKET_NAMES})
    merged = names.merge(frame, on="band", how="left").fillna({"changes": 0})
    return merged.astype({"changes": "int64"})


def stage_breakdown(scope: Scope) -> pd.DataFrame:
    """Median coding, review and delivery time per period, for changes with a known PR."""
    return query(
        f"""
        select
            date_trunc($grain, deployed_at)::date as period_start,
            unnest(['coding', 'review', 'delivery']) as stage,
            unnest([
                quantile_cont(coding_seconds, 0.5),
                quantile_cont(review_seconds, 0.5),
                quantile_cont(delivery_seconds, 0.5)
            ]) / 3600 as median_hours,
            count(pr_number) as changes_with_pr
        from changes
        where {IN_SCOPE} and deployed_at >= $start and deployed_at < $end
            and pr_number is not null
        group by 1
        order by 1
        """,
        **_scoped(scope),
    )


def slowest_changes(scope: Scope, limit: int = 20) -> pd.DataFrame:
    """The changes that took longest from first commit to the environment."""
    return query(
        f"""
        select
            lead_time_seconds / 3600 as lead_time_hours,
            repo, service, environment,
            left(sha, 7) as sha,
            coalesce(pr_title, message_headline) as title,
            pr_number,
            started_at,
            deployed_at,
            coding_seconds / 3600 as coding_hours,
            review_seconds / 3600 as review_hours,
            delivery_seconds / 3600 as delivery_hours,
            deployment_id,
            commit_url,
            pr_url
        from changes
        where {IN_SCOPE} and deployed_at >= $start and deployed_at < $end
        order by lead_time_seconds desc
        limit $limit
        """,
        **_scoped(scope, limit=int(limit)),
    )


def change_failures(scope: Scope) -> pd.DataFrame:
    """Each change failure of the period with its reasons and how (and when) it was restored."""
    return query(
        f"""
        select
            d.deployment_id,
            d.repo, d.service, d.environment,
            {AT} as failure_started_at,
            d.failure_reasons,
            case when d.recovery_seconds is null then 'open' else 'restored' end as status,
            d.restored_at,
            d.recovery_seconds / 3600 as recovery_hours,
            d.restored_by_deployment_id as restored_by,
            d.rolled_back_by,
            case
                when d.recovery_seconds is null then null
                when d.restored_by_deployment_id = d.rolled_back_by then 'rolled back'
                when d.restored_by_deployment_id is not null then 'by a later deployment'
                else 'its incidents closed'
            end as restored_how,
            left(d.sha, 7) as sha,
            d.commit_url,
            d.run_url
        from deployments d
        where {IN_SCOPE}
            and d.is_counted and d.is_change_failure
            and coalesce(d.deployed_at, d.failed_at) >= $start
            and coalesce(d.deployed_at, d.failed_at) < $end
        order by failure_started_at desc
        limit {TABLE_LIMIT}
        """,
        **_scoped(scope),
    )


def incidents(scope: Scope) -> pd.DataFrame:
    """Incidents opened in the period, attributed to a deployment or not."""
    return query(
        f"""
        select
            number,
            title,
            repo, environment, service,
            created_at,
            closed_at,
            state,
            deployment_id,
            case when deployment_id is null then 'unattributed' else 'attributed' end
                as attribution,
            date_diff('second', created_at, closed_at) / 3600 as open_hours,
            html_url
        from incidents
        where ($repo::varchar is null or repo = $repo)
            and ($service::varchar is null or service is null or service = $service)
            and ($environment::varchar is null or environment = $environment)
            and created_at >= $start and created_at < $end
        order by created_at desc
        limit {TABLE_LIMIT}
        """,
        **_scoped(scope),
    )
