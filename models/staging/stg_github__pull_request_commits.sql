create or replace view stg.stg_github__pull_request_commits as

with

source as (
    select * from raw.pull_request_commits
),

renamed as (
    select
        repo,
        pr_number,
        sha,
        author_date,
        committer_date,
    from source
)

select * from renamed
