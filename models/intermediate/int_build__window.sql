-- The build's reference time (as_of) and the summary window: --as-of, else the latest data.
create or replace table int.int_build__window as

with

settings as (
    select * from cfg.settings
),

latest as (
    select max(greatest(created_at, coalesce(deployed_at, created_at), coalesce(failed_at, created_at)))
        as latest_at
    from int.int_deployments__attempts
),

final as (
    select
        coalesce(settings.as_of, latest.latest_at) as as_of,
        coalesce(settings.as_of, latest.latest_at) - to_days(settings.window_days) as window_start,
        settings.window_days,
        settings.edition,
    from settings
    cross join latest
)

select * from final
