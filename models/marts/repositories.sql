create or replace table marts.repositories as

with

repositories as (
    select * from stg.stg_github__repositories
),

final as (
    select
        repo,
        html_url,
        default_branch,
    from repositories
)

select * from final
