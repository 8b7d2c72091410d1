create or replace view stg.stg_github__teams as

with

source as (
    select * from raw.github_teams
),

renamed as (
    select
        lower(org) as org,
        slug,
        name as team_name,
        description,
        html_url,
        parent_slug,
    from source
)

select * from renamed
