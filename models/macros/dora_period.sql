-- The DORA measures of one period: the one definition of a period's aggregation. dora_summary
-- calls it on the build window, the dashboard on the dates picked and either side of a pivot
-- (models/period.py).
-- A period is [period_start, period_end), as calendar periods are: an event at the first instant
-- of a week or a day belongs to it, one at the first instant of the next does not. dora_summary's
-- window (window_start, as_of] holds its latest event: it passes both bounds one microsecond
-- (the timestamps' resolution) later.
-- Deployments belong to it by deployed_at (failed_at for a failed attempt), changes by
-- deployed_at, change failures' recoveries by failure start (METRICS.md section 3).
-- Deploy days per week: over the ISO weeks lying wholly inside the period, each counted once,
-- weeks without deploys as 0; per month likewise over whole calendar months (section 4).
-- deployments_table, changes_table: table names (`marts.deployments` in the build,
-- `deployments` in the snapshot). repo_filter, service_filter, environment_filter: NULL for any.
-- scope_keys: NULL for any, else the list of `repo || chr(31) || service` a team owns.
-- per_scope: one row per repo x service x environment with a counted deployment at any time
-- (no-data rows included); otherwise one row for all the filters select, keyed by the filters.
create or replace temp macro dora_period(
    deployments_table,
    changes_table,
    period_start,
    period_end,
    repo_filter,
    service_filter,
    environment_filter,
    per_scope,
    scope_keys
) as table

with

bounds as (
    select
        cast(period_start as timestamp) as period_start,
        cast(period_end as timestamp) as period_end,
        date_diff('second', cast(period_start as timestamp), cast(period_end as timestamp))
            / 86400.0 as period_days,
),

filters as (
    select
        cast(repo_filter as varchar) as repo,
        cast(service_filter as varchar) as service,
        cast(environment_filter as varchar) as environment,
        cast(per_scope as boolean) as per_scope,
        cast(scope_keys as varchar[]) as scope_keys,
        {
            repo: cast(repo_filter as varchar),
            service: cast(service_filter as varchar),
            environment: cast(environment_filter as varchar),
        } as scope,
),

counted as (
    select
        case
            when filters.per_scope
                then {
                    repo: deployments.repo,
                    service: deployments.service,
                    environment: deployments.environment,
                }
            else filters.scope
        end as scope,
        deployments.outcome,
        deployments.deployed_at,
        coalesce(deployments.deployed_at, deployments.failed_at) as event_at,
        deployments.is_change_failure,
        deployments.is_rework,
        deployments.failure_started_at,
        deployments.recovery_seconds,
    from query_table(deployments_table) as deployments
    cross join filters
    where deployments.is_counted
        and (filters.repo is null or deployments.repo = filters.repo)
        and (filters.service is null or deployments.service = filters.service)
        and (filters.environment is null or deployments.environment = filters.environment)
        and (
            filters.scope_keys is null
            or list_contains(filters.scope_keys, deployments.repo || chr(31) || deployments.service)
        )
),

scopes as (
    select distinct scope
    from counted
    where (select per_scope from filters)
    union all
    select scope
    from filters
    where not per_scope
),

in_period as (
    select counted.*
    from counted
    cross join bounds
    where counted.event_at >= bounds.period_start
        and counted.event_at < bounds.period_end
),

totals as (
    select
        scope,
        count(*) filter (where outcome = 'success') as deployments,
        count(distinct cast(deployed_at as date)) filter (where outcome = 'success')
            as deploy_days,
        count(*) as counted_deployments,
        count(*) filter (where is_change_failure) as change_failures,
        count(*) filter (where outcome = 'success' and is_rework) as rework_deployments,
    from in_period
    group by all
),

lead_times as (
    select
        case
            when filters.per_scope
                then {
                    repo: changes.repo,
                    service: changes.service,
                    environment: changes.environment,
                }
            else filters.scope
        end as scope,
        count(*) as changes,
        quantile_cont(changes.lead_time_seconds, 0.5) as lead_time_p50_seconds,
        quantile_cont(changes.lead_time_seconds, 0.9) as lead_time_p90_seconds,
    from query_table(changes_table) as changes
    cross join bounds
    cross join filters
    where changes.deployed_at >= bounds.period_start
        and changes.deployed_at < bounds.period_end
        and (filters.repo is null or changes.repo = filters.repo)
        and (filters.service is null or changes.service = filters.service)
        and (filters.environment is null or changes.environment = filters.environment)
        and (
            filters.scope_keys is null
            or list_contains(filters.scope_keys, changes.repo || chr(31) || changes.service)
        )
    group by all
),

recoveries as (
    select
        counted.scope,
        quantile_cont(counted.recovery_seconds, 0.5) as recovery_p50_seconds,
        count(*) filter (where counted.recovery_seconds is null) as open_failures,
    from counted
    cross join bounds
    where counted.is_change_failure
        and counted.failure_started_at >= bounds.period_start
        and counted.failure_started_at < bounds.period_end
    group by all
),

-- whole ISO weeks and whole calendar months inside the period
units as (
    select
        grains.grain,
        unnest(generate_series(
            date_trunc(grains.grain, bounds.period_start)
                + case
                    when date_trunc(grains.grain, bounds.period_start) < bounds.period_start
                        then grains.step
                    else interval 0 day
                end,
            bounds.period_end - grains.step,
            grains.step
        )) as unit_start,
        grains.step,
    from bounds
    cross join (values ('week', interval 7 day), ('month', interval 1 month)) as grains (grain, step)
),

whole_units as (
    select
        units.grain,
        cast(units.unit_start as date) as first_day,
        cast(units.unit_start + units.step as date) as end_day,
    from units
    cross join bounds
    where units.unit_start + units.step <= bounds.period_end
),

deploy_days as (
    select distinct
        scope,
        cast(deployed_at as date) as deploy_day,
    from in_period
    where outcome = 'success'
),

unit_counts as (
    select
        scopes.scope,
        units.grain,
        units.first_day,
        count(deploy_days.deploy_day) as deploy_days,
    from scopes
    cross join whole_units as units
    left join deploy_days
        on deploy_days.scope = scopes.scope
        and deploy_days.deploy_day >= units.first_day
        and deploy_days.deploy_day < units.end_day
    group by all
),

frequency as (
    select
        scope,
        quantile_cont(deploy_days, 0.5) filter (where grain = 'week') as deploy_days_per_week_p50,
        quantile_cont(deploy_days, 0.5) filter (where grain = 'month')
            as deploy_days_per_month_p50,
        count(*) filter (where grain = 'week') as whole_weeks,
        count(*) filter (where grain = 'month') as whole_months,
    from unit_counts
    group by all
),

final as (
    select
        scopes.scope.repo,
        scopes.scope.service,
        scopes.scope.environment,
        bounds.period_start,
        bounds.period_end,
        bounds.period_days,
        coalesce(totals.deployments, 0) as deployments,
        coalesce(totals.counted_deployments, 0) as counted_deployments,
        coalesce(totals.deploy_days, 0) as deploy_days,
        -- no counted deployment is no data: NULL, never 0 per week
        case
            when totals.counted_deployments > 0
                then totals.deployments / (bounds.period_days / 7.0)
        end as deploys_per_week,
        case when totals.counted_deployments > 0 then frequency.deploy_days_per_week_p50 end
            as deploy_days_per_week_p50,
        case when totals.counted_deployments > 0 then frequency.deploy_days_per_month_p50 end
            as deploy_days_per_month_p50,
        coalesce(frequency.whole_weeks, 0) as whole_weeks,
        coalesce(frequency.whole_months, 0) as whole_months,
        coalesce(totals.change_failures, 0) as change_failures,
        totals.change_failures / nullif(totals.counted_deployments, 0) as change_fail_rate,
        coalesce(recoveries.open_failures, 0) as open_failures,
        recoveries.recovery_p50_seconds,
        coalesce(lead_times.changes, 0) as changes,
        lead_times.lead_time_p50_seconds,
        lead_times.lead_time_p90_seconds,
        totals.rework_deployments / nullif(totals.deployments, 0) as rework_rate,
    from scopes
    cross join bounds
    left join totals
        using (scope)
    left join lead_times
        using (scope)
    left join recoveries
        using (scope)
    left join frequency
        using (scope)
)

select * from final
