-- The units levels and goals are measured for, and the repo x service scopes in each: every
-- scope on its own (`service`), every team (its scopes, shared scopes included), and the
-- organisation (every scope once).
create or replace table int.int_units__members as

with

scopes as (
    select distinct
        repo,
        service,
    from marts.deployments
),

team_scopes as (
    select distinct
        team,
        repo,
        service,
    from marts.team_scopes
),

final as (
    select
        'service' as unit_kind,
        repo || ' · ' || service as unit,
        repo,
        service,
    from scopes
    union all
    select
        'team' as unit_kind,
        team as unit,
        repo,
        service,
    from team_scopes
    union all
    select
        'organisation' as unit_kind,
        'organisation' as unit,
        repo,
        service,
    from scopes
)

select * from final
