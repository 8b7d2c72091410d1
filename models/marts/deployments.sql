create or replace table marts.deployments as

with

deployments as (
    select * from int.int_deployments__classified
),

failures as (
    select * from int.int_deployments__failures
),

rework as (
    select * from int.int_deployments__rework
),

repositories as (
    select * from stg.stg_github__repositories
),

commits as (
    select repo, sha, commit_url from stg.stg_github__commits
),

change_summary as (
    select
        repo,
        service,
        environment,
        deployment_source as source,
        deployment_id,
        count(*) as change_count,
        quantile_cont(lead_time_seconds, 0.5) as lead_time_p50_seconds,
    from marts.changes
    group by all
),

final as (
    select
        deployments.repo,
        deployments.service,
        deployments.environment,
        deployments.deployment_id,
        deployments.source,
        deployments.sha,
        deployments.outcome,
        deployments.created_at,
        deployments.deployed_at,
        deployments.failed_at,
        deployments.is_redeploy,
        deployments.is_retried,
        deployments.is_rollback,
        rework.deployment_id is not null as is_rework,
        failures.deployment_id is not null as is_change_failure,
        array_to_string(failures.failure_reasons, ',') as failure_reasons,
        failures.restored_at,
        failures.recovery_seconds,
        coalesce(change_summary.change_count, 0) as change_count,
        change_summary.lead_time_p50_seconds,
        deployments.environment_name,
        deployments.run_id,
        deployments.run_url,
        coalesce(commits.commit_url, repositories.html_url || '/commit/' || deployments.sha)
            as commit_url,
        deployments.description,
        deployments.is_counted,
        deployments.is_manual,
        deployments.rolled_back_by,
        failures.restored_by_deployment_id,
        failures.failure_started_at,
        deployments.is_time_estimated,
        deployments.workflow_name,
    from deployments
    left join failures
        using (repo, service, environment, source, deployment_id)
    left join rework
        using (repo, service, environment, source, deployment_id)
    left join change_summary
        using (repo, service, environment, source, deployment_id)
    left join commits
        using (repo, sha)
    left join repositories
        using (repo)
)

select * from final
