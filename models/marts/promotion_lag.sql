create or replace table marts.promotion_lag as

with

changes as (
    select * from int.int_changes__attributed
),

stages as (
    select * from cfg.promotion_order
),

reached as (
    select
        changes.repo,
        changes.service,
        changes.sha,
        changes.environment,
        stages.stage_order,
        changes.deployment_id,
        changes.deployed_at as reached_at,
    from changes
    inner join stages
        using (environment)
),

final as (
    select
        repo,
        service,
        sha,
        environment,
        stage_order,
        deployment_id,
        reached_at,
        lag(environment) over change_stages as previous_environment,
        lag(reached_at) over change_stages as previous_reached_at,
        date_diff('second', lag(reached_at) over change_stages, reached_at) as lag_seconds,
    from reached
    window change_stages as (partition by repo, service, sha order by stage_order)
)

select * from final
