-- Attributed changes of each unit (int_units__members): when they reached an environment and
-- their lead time.
create or replace view int.int_units__changes as

with

members as (
    select * from int.int_units__members
),

changes as (
    select
        repo,
        service,
        environment,
        deployed_at,
        lead_time_seconds,
    from marts.changes
),

final as (
    select
        members.unit_kind,
        members.unit,
        changes.environment,
        changes.deployed_at,
        changes.lead_time_seconds,
    from changes
    inner join members
        using (repo, service)
)

select * from final
