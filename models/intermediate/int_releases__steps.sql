-- Each manual run of a production release, in the order people started them: the runs of its
-- session (int_releases__sessions) except those that only deployed to other environments (a
-- development or staging deploy is not a step of the production release).
create or replace table int.int_releases__steps as

with

releases as (
    select * from int.int_releases__sessions
),

manual_runs as (
    select * from int.int_workflow_runs__timed
    where is_manual
),

deployed as (
    select
        repo,
        run_id,
        list(distinct environment order by environment) as environments,
    from int.int_deployments__classified
    where run_id is not null
    group by all
),

in_session as (
    select
        releases.repo,
        releases.release_id,
        manual_runs.run_id,
        manual_runs.workflow_path,
        manual_runs.workflow_name,
        manual_runs.created_at as dispatched_at,
        list_contains(releases.production_run_ids, manual_runs.run_id) as deploys_production,
        coalesce(deployed.environments, []::varchar[]) as environments,
    from releases
    inner join manual_runs
        on manual_runs.repo = releases.repo
        and manual_runs.created_at between releases.started_at and releases.ended_at
    left join deployed
        on deployed.repo = manual_runs.repo
        and deployed.run_id = manual_runs.run_id
),

final as (
    select
        repo,
        release_id,
        row_number() over (partition by repo, release_id order by dispatched_at, run_id) as step,
        run_id,
        workflow_path,
        workflow_name,
        dispatched_at,
        deploys_production,
        environments,
    from in_session
    where len(environments) = 0 or list_contains(environments, 'production')
)

select * from final
