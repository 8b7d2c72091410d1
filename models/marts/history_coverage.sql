-- Per repository: how far back its ingested history reaches. A first sync reads the most recent
-- weeks of every repository first, then deeper passes read older history, newest first, down to
-- the target (github.since, else the repository's creation): figures before `history_from` are
-- incomplete until the state is 'complete'.
create or replace table marts.history_coverage as

with

repositories as (
    select repo from stg.stg_github__repositories
),

history as (
    select * from stg.stg_github__sync_history
),

build_window as (
    select as_of from int.int_build__window
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
        date_diff('day', history.history_from, build_window.as_of) as days_of_history,
    from repositories
    left join history using (repo)
    cross join build_window
)

select * from final
