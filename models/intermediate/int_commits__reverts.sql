-- Revert commits and the commit each one reverts (`Revert "..."` + `This reverts commit <sha>`).
create or replace table int.int_commits__reverts as

with

commits as (
    select * from stg.stg_github__commits
),

reverts as (
    select
        repo,
        sha,
        lower(regexp_extract(message, 'This reverts commit ([0-9a-fA-F]{40})', 1)) as reverted_sha,
    from commits
    where starts_with(message, 'Revert "')
),

final as (
    select * from reverts
    where reverted_sha <> ''
)

select * from final
