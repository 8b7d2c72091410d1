-- Per repository: how far back its ingested history reaches. A first sync reads the most recent
-- weeks of every repository first, then deeper passes read older history, newest first, down to
-- the target (github.since, else the repository's creation): figures before `history_from` are
-- incomplete until the state is 'complete'.
create or replace table marts.history_coverage as

with

history as (
    select * from int.int_repositories__history
),

build_window as (
    select as_of from int.int_build__window
),

final as (
    select
        history.repo,
        history.history_state,
        history.history_from,
        history.history_target,
        history.first_pass_from,
        date_diff('day', history.history_from, build_window.as_of) as days_of_history,
    from history
    cross join build_window
)

select * from final
