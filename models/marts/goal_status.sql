-- Each goal's status per period, for each team it applies to: met, missed, or no data (never
-- "met" without data), with the streak of equal statuses up to that period.
-- Periods end at each ISO week's end (Monday 00:00) up to the last one before as_of: a week
-- goal judges that ISO week, a 30-day goal the 30 days before it, [start, end). A team's
-- figures are over all its scopes (a shared scope counts for each of its teams); "*" means
-- every team, and the organisation when there are no teams.
-- No data: the team had no counted deployment in the environment before the period's end; or,
-- except for deployment frequency and deploy days (where none is a fact, not a gap), fewer
-- counted deployments than [levels] min_counted_deployments in the period, or no value at all
-- (no change, no restored failure).
create or replace table marts.goal_status as

with

rules as (
    select
        level_rules.min_counted_deployments,
        cast(date_trunc('week', build_window.as_of) as timestamp) as last_period_end,
    from cfg.level_rules as level_rules
    cross join int.int_build__window as build_window
),

goals as (
    select * from cfg.goals
),

teams as (
    select team from marts.teams
),

targets as (
    select
        goals.*,
        'team' as unit_kind,
        coalesce(teams.team, goals.team) as unit,
    from goals
    left join teams
        on goals.team <> '*' and lower(teams.team) = lower(goals.team)
    where goals.team <> '*'
    union all
    select
        goals.*,
        'team' as unit_kind,
        teams.team as unit,
    from goals
    inner join teams
        on goals.team = '*'
    union all
    select
        goals.*,
        'organisation' as unit_kind,
        'organisation' as unit,
    from goals
    where goals.team = '*' and not exists (select 1 from teams)
),

deployments as (
    select * from int.int_units__deployments
),

changes as (
    select * from int.int_units__changes
),

first_events as (
    select
        unit_kind,
        unit,
        environment,
        min(event_at) as first_event_at,
    from deployments
    group by all
),

periods as (
    select
        targets.*,
        period_end,
        period_end - to_days(targets.period_days) as period_start,
        first_events.first_event_at,
    from targets
    cross join rules
    left join first_events
        on first_events.unit_kind = targets.unit_kind
        and first_events.unit = targets.unit
        and first_events.environment = targets.environment
    cross join unnest(generate_series(
        least(
            cast(date_trunc('week', coalesce(first_events.first_event_at, rules.last_period_end))
                as timestamp) + interval 7 day,
            rules.last_period_end
        ),
        rules.last_period_end,
        interval 7 day
    )) as ends (period_end)
),

totals as (
    select
        periods.goal_id,
        periods.unit,
        periods.period_end,
        count(*) as counted_deployments,
        count(*) filter (where deployments.outcome = 'success') as deployments,
        count(distinct cast(deployments.deployed_at as date))
            filter (where deployments.outcome = 'success') as deploy_days,
        count(*) filter (where deployments.is_change_failure) as change_failures,
        count(*) filter (where deployments.outcome = 'success' and deployments.is_rework)
            as rework_deployments,
    from periods
    inner join deployments
        on deployments.unit_kind = periods.unit_kind
        and deployments.unit = periods.unit
        and deployments.environment = periods.environment
        and deployments.event_at >= periods.period_start
        and deployments.event_at < periods.period_end
    group by all
),

recoveries as (
    select
        periods.goal_id,
        periods.unit,
        periods.period_end,
        quantile_cont(deployments.recovery_seconds, 0.5) as recovery_p50_seconds,
    from periods
    inner join deployments
        on deployments.unit_kind = periods.unit_kind
        and deployments.unit = periods.unit
        and deployments.environment = periods.environment
        and deployments.is_change_failure
        and deployments.recovery_seconds is not null
        and deployments.failure_started_at >= periods.period_start
        and deployments.failure_started_at < periods.period_end
    group by all
),

lead_times as (
    select
        periods.goal_id,
        periods.unit,
        periods.period_end,
        quantile_cont(changes.lead_time_seconds, 0.5) as lead_time_p50_seconds,
    from periods
    inner join changes
        on changes.unit_kind = periods.unit_kind
        and changes.unit = periods.unit
        and changes.environment = periods.environment
        and changes.deployed_at >= periods.period_start
        and changes.deployed_at < periods.period_end
    group by all
),

measured as (
    select
        periods.*,
        coalesce(totals.counted_deployments, 0) as counted_deployments,
        case periods.metric
            when 'deployment_frequency'
                then coalesce(totals.deployments, 0) / (periods.period_days / 7.0)
            when 'deploy_days' then coalesce(totals.deploy_days, 0) / (periods.period_days / 7.0)
            when 'lead_time' then lead_times.lead_time_p50_seconds
            when 'change_fail_rate'
                then totals.change_failures / nullif(totals.counted_deployments, 0)
            when 'recovery' then recoveries.recovery_p50_seconds
            when 'rework_rate' then totals.rework_deployments / nullif(totals.deployments, 0)
        end as value,
        periods.metric in ('deployment_frequency', 'deploy_days') as zero_is_data,
    from periods
    left join totals
        using (goal_id, unit, period_end)
    left join lead_times
        using (goal_id, unit, period_end)
    left join recoveries
        using (goal_id, unit, period_end)
),

judged as (
    select
        measured.*,
        case
            when measured.first_event_at is null or measured.first_event_at >= measured.period_end
                then 'no counted deployment yet'
            when not measured.zero_is_data
                and measured.counted_deployments < rules.min_counted_deployments
                then format(
                    '{} counted deployments, fewer than {}',
                    measured.counted_deployments,
                    rules.min_counted_deployments
                )
            when measured.value is null then 'nothing to measure in the period'
        end as no_data_reason,
    from measured
    cross join rules
),

statused as (
    select
        judged.*,
        case
            when judged.no_data_reason is not null then 'no data'
            when case judged.comparison
                    when '<' then judged.value < judged.threshold
                    when '<=' then judged.value <= judged.threshold
                    when '>' then judged.value > judged.threshold
                    when '>=' then judged.value >= judged.threshold
                end
                then 'met'
            else 'missed'
        end as status,
    from judged
),

islands as (
    select
        statused.*,
        row_number() over (partition by goal_id, unit order by period_end)
            - row_number() over (partition by goal_id, unit, status order by period_end)
            as island,
    from statused
),

final as (
    select
        goal_id,
        goal_order,
        label as goal,
        team as goal_team,
        unit_kind,
        unit as team,
        environment,
        metric,
        comparison,
        threshold,
        period,
        period_start,
        period_end,
        value,
        counted_deployments,
        status,
        no_data_reason,
        row_number() over (partition by goal_id, unit, status, island order by period_end)
            as streak,
        period_end = max(period_end) over (partition by goal_id, unit) as is_latest,
    from islands
)

select * from final
