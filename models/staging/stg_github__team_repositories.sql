create or replace view stg.stg_github__team_repositories as

with

source as (
    select * from raw.github_team_repositories
),

renamed as (
    select
        lower(org) as org,
        team_slug,
        lower(repo_full_name) as repo_full_name,
        role_name,
    from source
)

select * from renamed
