create or replace table marts.workflow_health as

with

runs as (
    select * from int.int_workflow_runs__timed
),

-- deployment attempts made by each workflow's runs: failed and retried ones keep flaky deploy
-- jobs visible, although retried attempts count in no DORA metric
deployment_attempts as (
    select
        runs.repo,
        runs.workflow_path,
        count(*) as deployment_attempts,
        count(*) filter (where attempts.outcome = 'failure') as failed_deployment_attempts,
        count(*) filter (where attempts.is_retried) as retried_deployment_attempts,
    from int.int_deployments__classified as attempts
    inner join runs
        on runs.repo = attempts.repo
        and runs.run_id = attempts.run_id
    group by all
),

run_summary as (
    select
        repo,
        workflow_path,
        any_value(workflow_name order by created_at desc) as workflow_name,
        count(*) as runs,
        count(*) filter (where conclusion = 'success') as successes,
        count(*) filter (where conclusion in ('failure', 'timed_out', 'startup_failure'))
            as failures,
        count(*) filter (where conclusion = 'success')
            / nullif(
                count(*) filter (
                    where conclusion in ('success', 'failure', 'timed_out', 'startup_failure')
                ),
                0
            ) as success_rate,
        quantile_cont(duration_seconds, 0.5) as duration_p50_seconds,
        quantile_cont(duration_seconds, 0.95) as duration_p95_seconds,
        quantile_cont(queue_seconds, 0.5) as queue_p50_seconds,
        avg(case when run_attempt > 1 then 1.0 else 0.0 end) as rerun_share,
        avg(case when is_manual then 1.0 else 0.0 end) as manual_share,
        min(created_at) as first_run_at,
        max(created_at) as last_run_at,
    from runs
    group by repo, workflow_path
),

final as (
    select
        run_summary.*,
        coalesce(deployment_attempts.deployment_attempts, 0) as deployment_attempts,
        coalesce(deployment_attempts.failed_deployment_attempts, 0)
            as failed_deployment_attempts,
        coalesce(deployment_attempts.retried_deployment_attempts, 0)
            as retried_deployment_attempts,
    from run_summary
    left join deployment_attempts
        using (repo, workflow_path)
)

select * from final
