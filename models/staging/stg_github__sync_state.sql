create or replace view stg.stg_github__sync_state as

with

source as (
    select * from raw.sync_state
),

renamed as (
    select
        repo,
        stream,
        cursor_at,
        synced_at,
    from source
)

select * from renamed
