create or replace table marts.dora_summary as

with

build_window as (
    select * from int.int_build__window
),

-- the window's measures come from dora_period (models/macros/dora_period.sql), the one
-- definition the dashboard and the weekly email call too: (window_start, as_of], whole ISO
-- weeks and whole calendar months for the deploy-day medians
measures as (
    select
        period.repo,
        period.service,
        period.environment,
        period.period_start as window_start,
        period.period_end as window_end,
        build_window.window_days,
        build_window.edition,
        period.deployments,
        period.deploy_days,
        period.change_failures,
        period.change_fail_rate,
        period.lead_time_p50_seconds,
        period.lead_time_p90_seconds,
        period.recovery_p50_seconds,
        period.rework_rate,
        period.deploys_per_week,
        period.deploy_days_per_week_p50,
        period.deploy_days_per_month_p50,
        period.counted_deployments,
        period.changes,
        period.open_failures,
        period.whole_weeks,
        period.whole_months,
    from dora_period(
        'marts.deployments',
        'marts.changes',
        -- (window_start, as_of] in dora_period's [start, end): one microsecond later each
        (select window_start from build_window) + interval 1 microsecond,
        (select as_of from build_window) + interval 1 microsecond,
        null,
        null,
        null,
        true,
        null
    ) as period
    cross join build_window
),

-- levels apply to production only; dora_level (models/macros/dora_level.sql) gives no level
-- without data (frequency's weekly median is NULL when nothing was counted or no ISO week lies
-- wholly inside the window)
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
