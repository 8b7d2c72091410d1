create or replace table marts.data_quality as

with

repositories as (
    select repo from stg.stg_github__repositories
    union
    select distinct repo from int.int_deployments__classified
),

deployments as (
    select * from int.int_deployments__classified
),

commits as (
    select repo, sha, parent_count from stg.stg_github__commits
),

deployment_counts as (
    select
        repo,
        count(*) as attempts,
        count(*) filter (where outcome = 'unfinished') as unfinished_deployments,
        count(*) filter (where outcome = 'superseded') as superseded_deployments,
        count(*) filter (where outcome = 'failure') as failed_attempts,
        count(*) filter (where is_retried) as retried_attempts,
        count(*) filter (where is_time_estimated) as estimated_times,
        count(*) filter (where is_redeploy) as redeploys,
    from deployments
    group by all
),

-- first successful deployments of a scope: no baseline, so their changes are not attributed
without_baseline as (
    select
        repo,
        count(*) as deployments_without_baseline,
    from deployments
    where success_seq = 1
    group by all
),

change_counts as (
    select
        repo,
        count(*) filter (where not is_negative_lead_time) as changes,
        count(*) filter (where is_negative_lead_time) as negative_lead_times,
        -- path rules, files unknown: counted for every service with rules until they are fetched
        count(*) filter (where is_files_unknown) as changes_without_files,
    from int.int_changes__attributed
    group by all
),

-- commits whose files touch no path of any service with rules (shared code, docs, CI files):
-- a change of none of them, counted when a deployment of such a service shipped one
serviceless_commits as (
    select
        repo,
        sha,
    from int.int_commits__services
    group by all
    having bool_and(is_files_known) and not bool_or(touches_service_paths)
),

outside_service_paths as (
    select
        repo,
        count(distinct sha) as commits_outside_service_paths,
    from int.int_commits__first_deployment as reached
    inner join int.int_commits__services as ruled
        using (repo, sha, service)
    inner join serviceless_commits
        using (repo, sha)
    group by all
),

unresolved as (
    select
        deployments.repo,
        count(*) as unresolved_commit_ranges,
    from deployments
    left join commits as own
        on own.repo = deployments.repo
        and own.sha = deployments.sha
    left join commits as previous
        on previous.repo = deployments.repo
        and previous.sha = deployments.previous_success_sha
    where deployments.outcome = 'success'
        and deployments.is_counted
        and not deployments.is_rollback
        and deployments.success_seq > 1
        and (own.sha is null or previous.sha is null)
    group by all
),

incident_counts as (
    select
        repo,
        count(*) as incidents,
        count(*) filter (where deployment_id is null) as unattributed_incidents,
    from int.int_incidents__attributed
    group by all
),

skipped as (
    select
        repo,
        count(*) as skipped_items,
    from stg.stg_github__skipped_items
    group by all
),

final as (
    select
        repositories.repo,
        coalesce(deployment_counts.attempts, 0) as deployment_attempts,
        coalesce(deployment_counts.unfinished_deployments, 0) as unfinished_deployments,
        coalesce(deployment_counts.superseded_deployments, 0) as superseded_deployments,
        coalesce(deployment_counts.failed_attempts, 0) as failed_attempts,
        coalesce(deployment_counts.retried_attempts, 0) as retried_attempts,
        coalesce(deployment_counts.estimated_times, 0) as estimated_times,
        coalesce(deployment_counts.redeploys, 0) as redeploys,
        coalesce(change_counts.changes, 0) as changes,
        coalesce(without_baseline.deployments_without_baseline, 0) as deployments_without_baseline,
        coalesce(change_counts.negative_lead_times, 0) as negative_lead_times,
        coalesce(incident_counts.incidents, 0) as incidents,
        coalesce(incident_counts.unattributed_incidents, 0) as unattributed_incidents,
        coalesce(unresolved.unresolved_commit_ranges, 0) as unresolved_commit_ranges,
        coalesce(skipped.skipped_items, 0) as skipped_items,
        coalesce(change_counts.changes_without_files, 0) as changes_without_files,
        coalesce(outside_service_paths.commits_outside_service_paths, 0)
            as commits_outside_service_paths,
    from repositories
    left join deployment_counts using (repo)
    left join without_baseline using (repo)
    left join change_counts using (repo)
    left join unresolved using (repo)
    left join incident_counts using (repo)
    left join skipped using (repo)
    left join outside_service_paths using (repo)
)

select * from final
