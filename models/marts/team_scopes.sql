-- Team x scope: each repo x service a team owns (every service of its repositories, or only
-- those [[teams]] lists). A scope in two teams counts for both; the organisation counts it once.
create or replace table marts.team_scopes as

with

team_repositories as (
    select * from marts.team_repositories
),

services as (
    select * from cfg.team_services
),

scopes as (
    select distinct
        repo,
        service,
    from marts.deployments
),

final as (
    select distinct
        team_repositories.team,
        scopes.repo,
        scopes.service,
        team_repositories.source,
    from team_repositories
    inner join scopes
        using (repo)
    where not exists (select 1 from services where services.team = team_repositories.team)
        or exists (
            select 1
            from services
            where services.team = team_repositories.team
                and services.service = scopes.service
        )
)

select * from final
