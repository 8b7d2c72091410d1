-- Production DORA levels that do not flap: each unit (a repo x service, a team, the
-- organisation) banded over a rolling window ([levels] window_days, default 30) ending at each
-- ISO week's end (Monday 00:00) and at as_of, and only where enough happened (at least
-- min_counted_deployments counted deployments in the window, default 5; below it: "not enough
-- data", never a level). Weekly crossings, goal alerts and level-drop alerts read this table.
-- The window is (evaluated_at - window_days, evaluated_at], as dora_summary's. Deploy days per
-- week: median over the ISO weeks wholly inside the window (empty ones 0); per month: median
-- over window_days // 30 blocks of 30 days counted back from evaluated_at (one month: the window).
create or replace table marts.rolling_levels as

with

rules as (
    select
        level_rules.window_days,
        level_rules.min_counted_deployments,
        build_window.as_of,
        build_window.edition,
        greatest(1, level_rules.window_days // 30) as month_blocks,
    from cfg.level_rules as level_rules
    cross join int.int_build__window as build_window
),

deployments as (
    select *
    from int.int_units__deployments
    where environment = 'production'
),

changes as (
    select *
    from int.int_units__changes
    where environment = 'production'
),

units as (
    select
        unit_kind,
        unit,
        min(event_at) as first_event_at,
    from deployments
    group by all
),

points as (
    select distinct
        units.unit_kind,
        units.unit,
        evaluated_at,
        evaluated_at - to_days(rules.window_days) as window_start,
        evaluated_at = rules.as_of as is_latest,
    from units
    cross join rules
    cross join unnest(list_concat(
        [rules.as_of],
        generate_series(
            date_trunc('week', units.first_event_at) + interval 7 day,
            rules.as_of,
            interval 7 day
        )
    )) as evaluated (evaluated_at)
    where units.first_event_at <= rules.as_of
),

windowed as (
    select
        points.unit_kind,
        points.unit,
        points.evaluated_at,
        deployments.outcome,
        deployments.deployed_at,
        deployments.is_change_failure,
        deployments.failure_started_at,
        deployments.recovery_seconds,
    from points
    inner join deployments
        on deployments.unit_kind = points.unit_kind
        and deployments.unit = points.unit
        and deployments.event_at > points.window_start
        and deployments.event_at <= points.evaluated_at
),

totals as (
    select
        unit_kind,
        unit,
        evaluated_at,
        count(*) as counted_deployments,
        count(*) filter (where outcome = 'success') as deployments,
        count(distinct cast(deployed_at as date)) filter (where outcome = 'success')
            as deploy_days,
        count(*) filter (where is_change_failure) as change_failures,
    from windowed
    group by all
),

recoveries as (
    select
        points.unit_kind,
        points.unit,
        points.evaluated_at,
        quantile_cont(deployments.recovery_seconds, 0.5) as recovery_p50_seconds,
    from points
    inner join deployments
        on deployments.unit_kind = points.unit_kind
        and deployments.unit = points.unit
        and deployments.is_change_failure
        and deployments.recovery_seconds is not null
        and deployments.failure_started_at > points.window_start
        and deployments.failure_started_at <= points.evaluated_at
    group by all
),

lead_times as (
    select
        points.unit_kind,
        points.unit,
        points.evaluated_at,
        quantile_cont(changes.lead_time_seconds, 0.5) as lead_time_p50_seconds,
    from points
    inner join changes
        on changes.unit_kind = points.unit_kind
        and changes.unit = points.unit
        and changes.deployed_at > points.window_start
        and changes.deployed_at <= points.evaluated_at
    group by all
),

deploy_days as (
    select distinct
        unit_kind,
        unit,
        evaluated_at,
        cast(deployed_at as date) as deploy_day,
        date_diff('second', deployed_at, evaluated_at) // 2592000 as month_block,
    from windowed
    where outcome = 'success'
),

whole_weeks as (
    select
        points.unit_kind,
        points.unit,
        points.evaluated_at,
        cast(week_start as date) as week_start,
    from points
    cross join unnest(generate_series(
        date_trunc('week', points.window_start)
            + case
                when date_trunc('week', points.window_start) < points.window_start
                    then interval 7 day
                else interval 0 day
            end,
        points.evaluated_at - interval 7 day,
        interval 7 day
    )) as weeks (week_start)
),

week_counts as (
    select
        whole_weeks.unit_kind,
        whole_weeks.unit,
        whole_weeks.evaluated_at,
        whole_weeks.week_start,
        count(deploy_days.deploy_day) as days,
    from whole_weeks
    left join deploy_days
        on deploy_days.unit_kind = whole_weeks.unit_kind
        and deploy_days.unit = whole_weeks.unit
        and deploy_days.evaluated_at = whole_weeks.evaluated_at
        and deploy_days.deploy_day >= whole_weeks.week_start
        and deploy_days.deploy_day < whole_weeks.week_start + 7
    group by all
),

month_counts as (
    select
        points.unit_kind,
        points.unit,
        points.evaluated_at,
        blocks.month_block,
        count(deploy_days.deploy_day) as days,
    from points
    cross join rules
    cross join unnest(range(rules.month_blocks)) as blocks (month_block)
    left join deploy_days
        on deploy_days.unit_kind = points.unit_kind
        and deploy_days.unit = points.unit
        and deploy_days.evaluated_at = points.evaluated_at
        and deploy_days.month_block = blocks.month_block
    group by all
),

weekly_median as (
    select
        unit_kind,
        unit,
        evaluated_at,
        quantile_cont(days, 0.5) as deploy_days_per_week_p50,
    from week_counts
    group by all
),

monthly_median as (
    select
        unit_kind,
        unit,
        evaluated_at,
        quantile_cont(days, 0.5) as deploy_days_per_month_p50,
    from month_counts
    group by all
),

measured as (
    select
        points.*,
        rules.window_days,
        rules.edition,
        rules.min_counted_deployments,
        coalesce(totals.counted_deployments, 0) as counted_deployments,
        coalesce(totals.deployments, 0) as deployments,
        coalesce(totals.deploy_days, 0) as deploy_days,
        coalesce(totals.change_failures, 0) as change_failures,
        totals.change_failures / nullif(totals.counted_deployments, 0) as change_fail_rate,
        case when totals.counted_deployments > 0 then weekly_median.deploy_days_per_week_p50 end
            as deploy_days_per_week_p50,
        case when totals.counted_deployments > 0 then monthly_median.deploy_days_per_month_p50 end
            as deploy_days_per_month_p50,
        lead_times.lead_time_p50_seconds,
        recoveries.recovery_p50_seconds,
    from points
    cross join rules
    left join totals
        using (unit_kind, unit, evaluated_at)
    left join weekly_median
        using (unit_kind, unit, evaluated_at)
    left join monthly_median
        using (unit_kind, unit, evaluated_at)
    left join lead_times
        using (unit_kind, unit, evaluated_at)
    left join recoveries
        using (unit_kind, unit, evaluated_at)
),

levelled as (
    select
        measured.*,
        metrics.metric,
        case metrics.metric
            when 'deployment_frequency' then measured.deploy_days_per_week_p50
            when 'lead_time' then measured.lead_time_p50_seconds
            when 'change_fail_rate' then measured.change_fail_rate
            when 'recovery' then measured.recovery_p50_seconds
        end as value,
        dora_level('ref.dora_levels', measured.edition, metrics.metric, {
            deploy_days_per_week_p50: measured.deploy_days_per_week_p50,
            deploy_days_per_month_p50: measured.deploy_days_per_month_p50,
            deploy_days: measured.deploy_days,
            lead_time_p50_seconds: measured.lead_time_p50_seconds,
            change_fail_rate: measured.change_fail_rate,
            recovery_p50_seconds: measured.recovery_p50_seconds,
        }) as banded,
    from measured
    cross join (
        values ('deployment_frequency'), ('lead_time'), ('change_fail_rate'), ('recovery')
    ) as metrics (metric)
),

members as (
    select * from int.int_units__members where unit_kind = 'service'
),

final as (
    select
        levelled.unit_kind,
        levelled.unit,
        members.repo,
        members.service,
        'production' as environment,
        levelled.evaluated_at,
        levelled.is_latest,
        levelled.window_start,
        levelled.window_days,
        levelled.metric,
        levelled.value,
        levelled.counted_deployments,
        levelled.deployments,
        levelled.change_failures,
        levelled.deploy_days,
        levelled.deploy_days_per_week_p50,
        levelled.deploy_days_per_month_p50,
        levelled.lead_time_p50_seconds,
        levelled.change_fail_rate,
        levelled.recovery_p50_seconds,
        case
            when levelled.counted_deployments < levelled.min_counted_deployments
                then 'not enough data'
            when levelled.banded is null then 'no data'
            else 'banded'
        end as state,
        case
            when levelled.counted_deployments >= levelled.min_counted_deployments
                then levelled.banded
        end as level,
        case
            when levelled.counted_deployments >= levelled.min_counted_deployments
                then bands.level_rank
        end as level_rank,
        levelled.edition,
    from levelled
    left join members
        on levelled.unit_kind = 'service' and members.unit = levelled.unit
    left join ref.dora_levels as bands
        on cast(bands.edition as varchar) = cast(levelled.edition as varchar)
        and bands.metric = levelled.metric
        and bands.level = levelled.banded
)

select * from final
