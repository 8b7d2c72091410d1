-- Counted deployments of each unit (int_units__members), with the facts levels and goals need.
create or replace view int.int_units__deployments as

with

members as (
    select * from int.int_units__members
),

counted as (
    select
        repo,
        service,
        environment,
        outcome,
        deployed_at,
        coalesce(deployed_at, failed_at) as event_at,
        is_change_failure,
        is_rework,
        failure_started_at,
        recovery_seconds,
    from marts.deployments
    where is_counted
),

final as (
    select
        members.unit_kind,
        members.unit,
        counted.environment,
        counted.outcome,
        counted.deployed_at,
        counted.event_at,
        counted.is_change_failure,
        counted.is_rework,
        counted.failure_started_at,
        counted.recovery_seconds,
    from counted
    inner join members
        using (repo, service)
)

select * from final
