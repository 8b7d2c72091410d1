create or replace view stg.stg_github__repositories as

with

source as (
    select * from raw.repositories
),

renamed as (
    select
        repo,
        repo_id,
        coalesce(full_name, repo) as full_name,
        split_part(repo, '/', 2) as repo_name,
        default_branch,
        coalesce(archived, false) as is_archived,
        html_url,
        created_at,
        pushed_at,
    from source
)

select * from renamed
