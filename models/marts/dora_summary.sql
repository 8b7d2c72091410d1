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
bucketed_days as (
    select distinct
        in_window.repo,
        in_window.service,
        in_window.environment,
        cast(in_window.deployed_at as date) as deploy_day,
        date_diff('second', in_window.deployed_at, build_window.as_of) // 604800 as week_bucket,
        date_diff('second', in_window.deployed_at, build_window.as_of) // 2592000 as month_bucket,
    from in_window
    cross join build_window
    where in_window.outcome = 'success'
),

week_counts as (
    select
        scopes.repo,
        scopes.service,
        scopes.environment,
        bucket.week_bucket,
        count(bucketed_days.deploy_day) as deploy_days,
    from scopes
    cross join build_window
    cross join lateral (select unnest(range(build_window.week_buckets)) as week_bucket) as bucket
    left join bucketed_days
        on bucketed_days.repo = scopes.repo
        and bucketed_days.service = scopes.service
        and bucketed_days.environment = scopes.environment
        and bucketed_days.week_bucket = bucket.week_bucket
    group by all
),

month_counts as (
    select
        scopes.repo,
        scopes.service,
        scopes.environment,
        bucket.month_bucket,
        count(bucketed_days.deploy_day) as deploy_days,
    from scopes
    cross join build_window
    cross join lateral (select unnest(range(build_window.month_buckets)) as month_bucket) as bucket
    left join bucketed_days
        on bucketed_days.repo = scopes.repo
        and bucketed_days.service = scopes.service
        and bucketed_days.environment = scopes.environment
        and bucketed_days.month_bucket = bucket.month_bucket
    group by all
),

frequency as (
    select
        week_counts.repo,
        week_counts.service,
        week_counts.environment,
        quantile_cont(week_counts.deploy_days, 0.5) as deploy_days_per_week_p50,
    from week_counts
    group by all
),

monthly_frequency as (
    select
        repo,
        service,
        environment,
        quantile_cont(deploy_days, 0.5) as deploy_days_per_month_p50,
    from month_counts
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
        case when totals.counted_attempts > 0 then monthly_frequency.deploy_days_per_month_p50 end
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
    left join monthly_frequency
        using (repo, service, environment)
),

banded as (
    select
        measures.repo,
        measures.service,
        measures.environment,
        bands.metric,
        bands.level,
        bands.level_rank,
        bands.comparison,
        bands.threshold,
        case bands.measure
            when 'deploy_days_per_week_p50' then measures.deploy_days_per_week_p50
            when 'deploy_days_per_month_p50' then measures.deploy_days_per_month_p50
            when 'deploy_days' then measures.deploy_days
            when 'lead_time_p50_seconds' then measures.lead_time_p50_seconds
            when 'change_fail_rate' then measures.change_fail_rate
            when 'recovery_p50_seconds' then measures.recovery_p50_seconds
        end as measure_value,
    from measures
    inner join ref.dora_levels as bands
        on cast(bands.edition as varchar) = measures.edition
    -- levels apply to production only, and "no data" never earns a level
    where measures.environment = 'production'
        and case bands.metric
            when 'deployment_frequency' then measures.counted_attempts > 0
            when 'lead_time' then measures.lead_time_p50_seconds is not null
            when 'change_fail_rate' then measures.change_fail_rate is not null
            when 'recovery' then measures.recovery_p50_seconds is not null
        end
),

levels as (
    select
        repo,
        service,
        environment,
        metric,
        arg_min(level, level_rank) as level,
    from banded
    where case comparison
        when 'always' then true
        when '>=' then measure_value >= threshold
        when '<=' then measure_value <= threshold
        when '<' then measure_value < threshold
    end
    group by all
),

final as (
    select
        measures.*,
        max(levels.level) filter (where levels.metric = 'deployment_frequency')
            as deployment_frequency_level,
        max(levels.level) filter (where levels.metric = 'lead_time') as lead_time_level,
        max(levels.level) filter (where levels.metric = 'change_fail_rate')
            as change_fail_rate_level,
        max(levels.level) filter (where levels.metric = 'recovery') as recovery_level,
    from measures
    left join levels
        using (repo, service, environment)
    group by all
)

select * from final
