-- Successful deployments whose window saw a failed run of a verification workflow for their sha.
create or replace table int.int_deployments__verification_failed as

with

runs as (
    select * from stg.stg_github__workflow_runs
),

verification_failures as (
    select
        runs.repo,
        runs.head_sha as sha,
        runs.run_id,
        runs.run_started_at,
    from runs
    where runs.status = 'completed'
        and runs.conclusion = 'failure'
        -- configured as a file path, a file name, or the workflow's name
        and exists (
            select 1
            from cfg.verification_workflows as configured
            where runs.workflow_path = configured.workflow
                or ends_with(runs.workflow_path, '/' || configured.workflow)
                or runs.workflow_name = configured.workflow
        )
),

windows as (
    select
        repo,
        service,
        environment,
        source,
        deployment_id,
        sha,
        deployed_at,
        lead(deployed_at) over (
            partition by repo, service, environment order by success_seq
        ) as next_deployed_at,
    from int.int_deployments__classified
    where outcome = 'success'
),

final as (
    select
        windows.repo,
        windows.service,
        windows.environment,
        windows.source,
        windows.deployment_id,
        min(verification_failures.run_started_at) as verification_failed_at,
    from windows
    inner join verification_failures
        on verification_failures.repo = windows.repo
        and verification_failures.sha = windows.sha
        and verification_failures.run_started_at > windows.deployed_at
        and (
            windows.next_deployed_at is null
            or verification_failures.run_started_at < windows.next_deployed_at
        )
    group by all
)

select * from final
