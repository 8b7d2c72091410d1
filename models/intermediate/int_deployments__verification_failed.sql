-- Counted deployments marked by a failed run of a verification workflow for their sha: the run
-- checks what the scope runs when it starts; it marks the latest counted deployment of that sha
-- before it, so a redeploy in between does not hide it (METRICS.md section 2).
create or replace table int.int_deployments__verification_failed as

with

runs as (
    select * from stg.stg_github__workflow_runs
),

successes as (
    select * from int.int_deployments__classified
    where outcome = 'success'
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

-- runs carry no environment: every scope that deployed the sha is a candidate
candidates as (
    select distinct
        failures.repo,
        successes.service,
        successes.environment,
        failures.sha,
        failures.run_id,
        failures.run_started_at,
    from verification_failures as failures
    inner join successes
        on successes.repo = failures.repo
        and successes.sha = failures.sha
),

-- the scope's latest successful deployment when the run started (redeploys included): the
-- run falls in the window of that sha only if no deployment of another sha came in between
live as (
    select
        candidates.*,
        successes.sha as live_sha,
    from candidates
    asof inner join successes
        on successes.repo = candidates.repo
        and successes.service = candidates.service
        and successes.environment = candidates.environment
        and successes.deployed_at < candidates.run_started_at
),

marked as (
    select
        live.repo,
        live.service,
        live.environment,
        counted.source,
        counted.deployment_id,
        live.run_started_at,
    from live
    asof inner join (select * from successes where is_counted) as counted
        on counted.repo = live.repo
        and counted.service = live.service
        and counted.environment = live.environment
        and counted.sha = live.sha
        and counted.deployed_at < live.run_started_at
    where live.live_sha = live.sha
),

final as (
    select
        repo,
        service,
        environment,
        source,
        deployment_id,
        min(run_started_at) as verification_failed_at,
    from marked
    group by all
)

select * from final
