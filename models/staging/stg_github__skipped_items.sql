create or replace view stg.stg_github__skipped_items as

with

source as (
    select * from raw.skipped_items
),

renamed as (
    select
        repo,
        stream,
        item_key,
        reason,
        seen_at,
    from source
)

select * from renamed
