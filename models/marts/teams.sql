-- One row per team: those of [[teams]] and, with teams_from_github, those of GitHub. A config
-- team and a GitHub team are the same team when the names match (case-insensitive), or the
-- config name is the GitHub slug; the config entry then wins where both speak (its name, its
-- repositories when it lists any), and GitHub fills in the rest.
create or replace table marts.teams as

with

configured as (
    select * from cfg.teams
),

from_github as (
    select * from stg.stg_github__teams
),

matched as (
    select
        configured.team,
        configured.team_order,
        configured.recipients,
        from_github.org as github_org,
        from_github.slug as github_slug,
        from_github.description,
        from_github.html_url,
    from configured
    left join from_github
        on lower(configured.team) in (lower(from_github.team_name), lower(from_github.slug))
    qualify row_number() over (partition by configured.team order by from_github.slug) = 1
),

github_only as (
    select
        from_github.team_name as team,
        1000000 + row_number() over (order by lower(from_github.team_name), from_github.slug)
            as team_order,
        cast([] as varchar[]) as recipients,
        from_github.org as github_org,
        from_github.slug as github_slug,
        from_github.description,
        from_github.html_url,
    from from_github
    where not exists (
        select 1
        from configured
        where lower(configured.team) in (lower(from_github.team_name), lower(from_github.slug))
    )
),

final as (
    select
        team,
        case when github_slug is null then 'config' else 'config and github' end as source,
        team_order,
        recipients,
        github_org,
        github_slug,
        description,
        html_url,
    from matched
    union all
    select
        team,
        'github' as source,
        team_order,
        recipients,
        github_org,
        github_slug,
        description,
        html_url,
    from github_only
)

select * from final
