create or replace table marts.dora_levels as

with

source as (
    select * from ref.dora_levels
),

final as (
    select
        cast(edition as varchar) as edition,
        metric,
        level,
        level_rank,
        measure,
        comparison,
        threshold,
        band,
    from source
)

select * from final
