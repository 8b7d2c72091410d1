-- The DORA level of one metric, banded by a levels table (`ref.dora_levels` in the build,
-- `dora_levels` in the snapshot): the best-ranked band whose comparison holds. The one definition
-- of banding: dora_summary, the dashboard and the weekly email all call it (models/levels.py).
-- `measures` is a struct of deploy_days_per_week_p50, deploy_days_per_month_p50, deploy_days,
-- lead_time_p50_seconds, change_fail_rate and recovery_p50_seconds. A metric whose headline
-- measure is NULL has no data and gets no level, never "elite"; frequency's headline is the
-- weekly median, so a caller passes it NULL when there was no counted attempt (dora_period does).
-- A band whose own measure is NULL cannot be judged: a worse band is then never given.
create or replace temp macro dora_level(levels_table, edition_name, metric_name, measures) as (
    select
        -- a better band that cannot be judged (its measure is NULL, such as the monthly median
        -- of a window without a whole calendar month) leaves the level unknown: no data is
        -- never banded into a worse level than it may have
        case
            when min(level_rank) filter (where holds is null)
                < coalesce(min(level_rank) filter (where holds), 999)
                then null
            else arg_min(level, level_rank) filter (where holds)
        end
    from (
        select
            level,
            level_rank,
            case comparison
                when 'always' then true
                when '>=' then measure_value >= threshold
                when '>' then measure_value > threshold
                when '<=' then measure_value <= threshold
                when '<' then measure_value < threshold
            end as holds,
        from (
            select
                bands.level,
                bands.level_rank,
                bands.comparison,
                bands.threshold,
                case bands.measure
                    when 'deploy_days_per_week_p50' then measures['deploy_days_per_week_p50']
                    when 'deploy_days_per_month_p50' then measures['deploy_days_per_month_p50']
                    when 'deploy_days' then measures['deploy_days']
                    when 'lead_time_p50_seconds' then measures['lead_time_p50_seconds']
                    when 'change_fail_rate' then measures['change_fail_rate']
                    when 'recovery_p50_seconds' then measures['recovery_p50_seconds']
                end as measure_value,
            from query_table(levels_table) as bands
            where cast(bands.edition as varchar) = cast(edition_name as varchar)
                and bands.metric = metric_name
                and case metric_name
                    when 'deployment_frequency' then measures['deploy_days_per_week_p50']
                    when 'lead_time' then measures['lead_time_p50_seconds']
                    when 'change_fail_rate' then measures['change_fail_rate']
                    when 'recovery' then measures['recovery_p50_seconds']
                end is not null
        )
    )
)
