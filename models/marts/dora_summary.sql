create or replace table marts.dora_summary as

with

build_window as (
    select
        *,
        greatest(1, window_days // 7) as week_buckets,
        greatest(1, window_days // 30) as month_buckets,
    from int.int_build__window
),

counted as (
    select
        deployments.*,
        coalesce(deployments.deployed_at, deployments.failed_at) as event_at,
    from marts.deployments as deployments
    where deployments.is_counted
),

scopes as (
    select distinct repo, service, environment from counted
),

in_window as (
    select counted.*
    from counted
    cross join build_window
    where counted.event_at > build_window.window_start
        and counted.event_at <= build_window.as_of
),

totals as (
    select
        repo,
        service,
        environment,
        count(*) filter (where outcome = 'success') as deployments,
        count(distinct cast(deployed_at as date)) filter (where outcome = 'success') as deploy_days,
        count(*) as counted_attempts,
        count(*) filter (where is_change_failure) as change_failures,
        count(*) filter (where outcome = 'success' and is_rework) as rework_deployments,
    from in_window
    group by all
),

lead_times as (
    select
        changes.repo,
        changes.service,
        changes.environment,
        quantile_cont(changes.lead_time_seconds, 0.5) as lead_time_p50_seconds,
        quantile_cont(changes.lead_time_seconds, 0.9) as lead_time_p90_seconds,
    from marts.changes as changes
    cross join build_window
    where changes.deployed_at > build_window.window_start
        and changes.deployed_at <= build_window.as_of
    group by all
),

recoveries as (
    select
        counted.repo,
        counted.service,
        counted.environment,
        quantile_cont(counted.recovery_seconds, 0.5) as recovery_p50_seconds,
    from counted
    cross join build_window
    where counted.is_change_failure
        and counted.recovery_seconds is not null
        and counted.failure_started_at > build_window.window_start
        and counted.failure_started_at <= build_window.as_of
    group by all
),

-- 7- and 30-day buckets counted back from as_of, so every bucket is whole and empty ones count 0
buckets as (
    select 'week' as grain, unnest(range(week_buckets)) as bucket from build_window
    union all
    select 'month' as grain, unnest(range(month_buckets)) as bucket from build_window
),

bucketed_days as (
    select distinct
        in_window.repo,
        in_window.service,
        in_window.environment,
        cast(in_window.deployed_at as date) as deploy_day,
        grains.grain,
        date_diff('second', in_window.deployed_at, build_window.as_of) // grains.seconds as bucket,
    from in_window
    cross join build_window
    cross join (values ('week', 604800), ('month', 2592000)) as grains (grain, seconds)
    where in_window.outcome = 'success'
),

bucket_counts as (
    select
        scopes.repo,
        scopes.service,
        scopes.environment,
        buckets.grain,
        buckets.bucket,
        count(bucketed_days.deploy_day) as deploy_days,
    from scopes
    cross join buckets
    left join bucketed_days
        on bucketed_days.repo = scopes.repo
        and bucketed_days.service = scopes.service
        and bucketed_days.environment = scopes.environment
        and bucketed_days.grain = buckets.grain
        and bucketed_days.bucket = buckets.bucket
    group by all
),

frequency as (
    select
        repo,
        service,
        environment,
        quantile_cont(deploy_days, 0.5) filter (where grain = 'week') as deploy_days_per_week_p50,
        quantile_cont(deploy_days, 0.5) filter (where grain = 'month')
            as deploy_days_per_month_p50,
    from bucket_counts
    group by all
),

measures as (
    select
        scopes.repo,
        scopes.service,
        scopes.environment,
        build_window.window_start,
        build_window.as_of as window_end,
        build_window.window_days,
        build_window.edition,
        coalesce(totals.deployments, 0) as deployments,
        coalesce(totals.deploy_days, 0) as deploy_days,
        coalesce(totals.change_failures, 0) as change_failures,
        totals.change_failures / nullif(totals.counted_attempts, 0) as change_fail_rate,
        lead_times.lead_time_p50_seconds,
        lead_times.lead_time_p90_seconds,
        recoveries.recovery_p50_seconds,
        totals.rework_deployments / nullif(totals.deployments, 0) as rework_rate,
        case
            when totals.counted_attempts > 0
                then coalesce(totals.deployments, 0) / (build_window.window_days / 7.0)
        end as deploys_per_week,
        case when totals.counted_attempts > 0 then frequency.deploy_days_per_week_p50 end
            as deploy_days_per_week_p50,
        case when totals.counted_attempts > 0 then frequency.deploy_days_per_month_p50 end
            as deploy_days_per_month_p50,
        coalesce(totals.counted_attempts, 0) as counted_attempts,
    from scopes
    cross join build_window
    left join totals
        using (repo, service, environment)
    left join lead_times
        using (repo, service, environment)
    left join recoveries
        using (repo, service, environment)
    left join frequency
        using (repo, service, environment)
),

-- levels apply to production only; dora_level (models/macros/dora_level.sql) gives no level
-- without data (frequency's weekly median is NULL above when nothing was counted)
level_measures as (
    select
        *,
        {
            deploy_days_per_week_p50: deploy_days_per_week_p50,
            deploy_days_per_month_p50: deploy_days_per_month_p50,
            deploy_days: deploy_days,
            lead_time_p50_seconds: lead_time_p50_seconds,
            change_fail_rate: change_fail_rate,
            recovery_p50_seconds: recovery_p50_seconds,
        } as banded_measures,
    from measures
    where environment = 'production'
),

levels as (
    select
        repo,
        service,
        environment,
        dora_level('ref.dora_levels', edition, 'deployment_frequency', banded_measures)
            as deployment_frequency_level,
        dora_level('ref.dora_levels', edition, 'lead_time', banded_measures) as lead_time_level,
        dora_level('ref.dora_levels', edition, 'change_fail_rate', banded_measures)
            as change_fail_rate_level,
        dora_level('ref.dora_levels', edition, 'recovery', banded_measures) as recovery_level,
    from level_measures
),

final as (
    select
        measures.*,
        levels.deployment_frequency_level,
        levels.lead_time_level,
        levels.change_fail_rate_level,
        levels.recovery_level,
    from measures
    left join levels
        using (repo, service, environment)
)

select * from final
