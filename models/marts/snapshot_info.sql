create or replace table marts.snapshot_info as

with

build_window as (
    select * from int.int_build__window
),

synced as (
    select max(synced_at) as last_synced_at from stg.stg_github__sync_state
),

final as (
    select
        cast(now() at time zone 'UTC' as timestamp) as built_at,
        build_window.as_of,
        build_window.window_days,
        build_window.edition,
        synced.last_synced_at,
    from build_window
    cross join synced
)

select * from final
