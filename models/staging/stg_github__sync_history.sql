-- Newest-first history per repository (ingest.history): the `history` rows of the sync state.
create or replace view stg.stg_github__sync_history as

with

source as (
    select * from raw.sync_state
    where stream = 'history'
),

renamed as (
    select
        repo,
        cursor_at as history_from,
        cast(json_extract_string(details, '$.target') as timestamp) as history_target,
        cast(json_extract_string(details, '$.horizon') as timestamp) as first_pass_from,
        synced_at,
    from source
)

select * from renamed
