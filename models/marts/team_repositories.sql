-- Which ingested repositories each team owns: those matching the team's [[teams]] globs, else
-- (a team the config does not give repositories) those GitHub lists for it. A repository may
-- belong to several teams.
create or replace table marts.team_repositories as

with

teams as (
    select * from marts.teams
),

repositories as (
    select
        repo,
        lower(repo) as repo_key,
        lower(full_name) as full_name_key,
    from stg.stg_github__repositories
),

patterns as (
    select * from cfg.team_repo_patterns
),

github_owned as (
    select * from stg.stg_github__team_repositories
),

by_config as (
    select distinct
        patterns.team,
        repositories.repo,
        'config' as source,
    from patterns
    inner join repositories
        on regexp_full_match(repositories.repo_key, patterns.repo_regex)
),

by_github as (
    select distinct
        teams.team,
        repositories.repo,
        'github' as source,
    from teams
    inner join github_owned
        on github_owned.org = teams.github_org
        and github_owned.team_slug = teams.github_slug
    inner join repositories
        on github_owned.repo_full_name in (repositories.repo_key, repositories.full_name_key)
    where not exists (select 1 from patterns where patterns.team = teams.team)
),

final as (
    select * from by_config
    union all
    select * from by_github
)

select * from final
