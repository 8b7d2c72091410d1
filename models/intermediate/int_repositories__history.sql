-- Per repository: the state of its newest-first history (ingest.history), kept per repository
-- so an incremental build that cannot read a repository's raw rows (a shard still locked) keeps
-- what the last build knew, as it does for every other per-repository table.
create or replace table int.int_repositories__history as

with

repositories as (
    select repo from stg.stg_github__repositories
),

history as (
    select * from stg.stg_github__sync_history
),

final as (
    select
        repositories.repo,
        case
            when history.repo is null then 'unknown'
            when history.history_from is null then 'first pass'
            when history.history_from <= history.history_target then 'complete'
            else 'deepening'
        end as history_state,
        history.history_from,
        history.history_target,
        history.first_pass_from,
    from repositories
    left join history using (repo)
)

select * from final
