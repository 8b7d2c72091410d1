-- Production releases as people ran them: manual runs and production deployments of a repo fall
-- into one session while each comes less than 3 hours after the one before; a session holding a
-- successful counted production deployment (not a rollback) is a release.
create or replace table int.int_releases__sessions as

with

manual_runs as (
    select
        repo,
        run_id,
        workflow_path,
        workflow_name,
        created_at as event_at,
    from int.int_workflow_runs__timed
    where is_manual
),

production as (
    select
        repo,
        deployment_id,
        run_id,
        deployed_at as event_at,
    from int.int_deployments__classified
    where environment = 'production'
        and outcome = 'success'
        and is_counted
        and not is_rollback
),

events as (
    select repo, event_at, run_id, null::bigint as deployment_id, 'run' as kind, from manual_runs
    union all by name
    select repo, event_at, run_id, deployment_id, 'production' as kind, from production
),

gaps as (
    select
        *,
        coalesce(
            event_at - lag(event_at) over (partition by repo order by event_at, kind, run_id)
                >= interval 3 hours,
            true
        ) as starts_session,
    from events
),

numbered as (
    select
        *,
        sum(starts_session::int) over (
            partition by repo order by event_at, kind, run_id rows unbounded preceding
        ) as session,
    from gaps
),

final as (
    select
        repo,
        session,
        min(deployment_id) filter (where kind = 'production') as release_id,
        min(event_at) as started_at,
        min(event_at) filter (where kind = 'production') as released_at,
        max(event_at) as ended_at,
        count(*) filter (where kind = 'production') as production_deployments,
        coalesce(
            list(run_id) filter (where kind = 'production' and run_id is not null),
            []::bigint[]
        ) as production_run_ids,
    from numbered
    group by repo, session
    having count(*) filter (where kind = 'production') > 0
)

select * from final
