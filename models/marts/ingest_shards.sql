-- One row per shard of a sharded ingest (none for a single writer): merged into this build, or
-- kept from the previous one because its raw database could not be read, and how fresh it is.
create or replace table marts.ingest_shards as

with source as (

    select * from cfg.shards

),

final as (

    select
        shard,
        state,
        repos,
        last_synced_at,
        ingest_state,
        detail,
        path
    from source

)

select * from final
