create or replace table marts.dora_weekly as

with

counted as (
    select
        *,
        coalesce(deployed_at, failed_at) as event_at,
    from marts.deployments
    where is_counted
),

build_window as (
    select * from int.int_build__window
),

scopes as (
    select
        repo,
        service,
        environment,
        cast(date_trunc('week', min(event_at)) as date) as first_week,
        cast(date_trunc('week', max(event_at)) as date) as last_week,
    from counted
    group by all
),

-- every week from a scope's first deployment on, so a quiet week shows as "no data", not as
-- absent; environments of the promotion order run on to as_of's week, others (previews, which
-- come and go by the thousand) stop at their last activity
weeks as (
    select
        scopes.repo,
        scopes.service,
        scopes.environment,
        cast(unnest(generate_series(
            scopes.first_week,
            case
                when scopes.environment in (select environment from cfg.promotion_order)
                    then greatest(
                        scopes.last_week, cast(date_trunc('week', build_window.as_of) as date)
                    )
                else scopes.last_week
            end,
            interval 7 day
        )) as date) as week_start,
    from scopes
    cross join build_window
),

deployment_weeks as (
    select
        repo,
        service,
        environment,
        cast(date_trunc('week', event_at) as date) as week_start,
        count(*) filter (where outcome = 'success') as deployments,
        count(distinct cast(deployed_at as date)) filter (where outcome = 'success') as deploy_days,
        count(*) as counted_deployments,
        count(*) filter (where is_change_failure) as change_failures,
        count(*) filter (where outcome = 'success' and is_rework) as rework_deployments,
    from counted
    group by all
),

change_weeks as (
    select
        repo,
        service,
        environment,
        cast(date_trunc('week', deployed_at) as date) as week_start,
        count(*) as changes,
        quantile_cont(lead_time_seconds, 0.5) as lead_time_p50_seconds,
        quantile_cont(lead_time_seconds, 0.9) as lead_time_p90_seconds,
    from marts.changes
    group by all
),

recovery_weeks as (
    select
        repo,
        service,
        environment,
        cast(date_trunc('week', failure_started_at) as date) as week_start,
        quantile_cont(recovery_seconds, 0.5) as recovery_p50_seconds,
    from counted
    where is_change_failure and recovery_seconds is not null
    group by all
),

final as (
    select
        weeks.repo,
        weeks.service,
        weeks.environment,
        weeks.week_start,
        coalesce(deployment_weeks.deployments, 0) as deployments,
        coalesce(deployment_weeks.deploy_days, 0) as deploy_days,
        coalesce(deployment_weeks.change_failures, 0) as change_failures,
        deployment_weeks.change_failures / nullif(deployment_weeks.counted_deployments, 0)
            as change_fail_rate,
        change_weeks.lead_time_p50_seconds,
        change_weeks.lead_time_p90_seconds,
        recovery_weeks.recovery_p50_seconds,
        deployment_weeks.rework_deployments / nullif(deployment_weeks.deployments, 0)
            as rework_rate,
        coalesce(deployment_weeks.counted_deployments, 0) as counted_deployments,
        coalesce(change_weeks.changes, 0) as changes,
    from weeks
    left join deployment_weeks
        using (repo, service, environment, week_start)
    left join change_weeks
        using (repo, service, environment, week_start)
    left join recovery_weeks
        using (repo, service, environment, week_start)
)

select * from final
