-- Every deployment attempt from both sources, with its outcome and times (METRICS.md section 1).
create or replace table int.int_deployments__attempts as

with

deployments as (
    select * from stg.stg_github__deployments
),

statuses as (
    select * from stg.stg_github__deployment_statuses
),

environments as (
    select * from int.int_environments__resolved
),

runs as (
    select * from stg.stg_github__workflow_runs
),

status_summary as (
    select
        repo,
        deployment_id,
        min(created_at) filter (where state = 'success') as first_success_at,
        bool_or(state = 'inactive') as has_inactive,
        bool_or(state in ('failure', 'error')) as has_failure,
        arg_max(state, (created_at, status_id)) filter (where state <> 'inactive') as latest_state,
        max(created_at) filter (where state <> 'inactive') as latest_state_at,
        arg_min(run_id, status_id) filter (where run_id is not null) as run_id,
    from statuses
    group by all
),

from_deployments_api as (
    select
        deployments.repo,
        deployments.deployment_id,
        'deployments_api' as source,
        deployments.environment_name,
        deployments.sha,
        deployments.ref,
        deployments.task,
        deployments.description,
        deployments.created_at,
        -- `inactive` never decides an outcome or a time (GitHub adds it to older successes;
        -- other tools set it on cancelled or superseded deployments)
        case
            when summary.first_success_at is not null then 'success'
            when summary.latest_state in ('failure', 'error') then 'failure'
            when summary.has_inactive and not summary.has_failure then 'superseded'
            else 'unfinished'
        end as outcome,
        summary.first_success_at as deployed_at,
        case
            when summary.first_success_at is null
                and summary.latest_state in ('failure', 'error')
                then summary.latest_state_at
        end as failed_at,
        false as is_time_estimated,
        summary.run_id,
    from deployments
    left join status_summary as summary
        using (repo, deployment_id)
),

api_environments as (
    select distinct
        api.repo,
        environments.environment,
    from from_deployments_api as api
    inner join environments
        using (repo, environment_name)
),

last_attempt_jobs as (
    select
        jobs.repo,
        jobs.run_id,
        max(jobs.completed_at) as completed_at,
    from stg.stg_github__workflow_jobs as jobs
    inner join runs
        on runs.repo = jobs.repo
        and runs.run_id = jobs.run_id
        and runs.run_attempt = jobs.run_attempt
    group by all
),

rule_matches as (
    select
        runs.*,
        rules.environment_name,
        -- rule targets are names too: compared and stored lower-case
        lower(rules.service) as rule_service,
    from runs
    inner join cfg.deploy_rules as rules
        -- the first matching rule wins
        on rules.rule_order = cfg.deploy_rule(runs.workflow_path, runs.workflow_name)
),

from_deploy_rules as (
    select
        matches.repo,
        matches.run_id as deployment_id,
        'workflow_run' as source,
        matches.environment_name,
        matches.head_sha as sha,
        matches.head_branch as ref,
        'deploy' as task,
        -- shown as the description, but never read as a rollback name (see final)
        matches.display_title as description,
        matches.created_at,
        case
            when jobs.completed_at is null then 'unfinished'
            when matches.conclusion = 'success' then 'success'
            when matches.conclusion in ('failure', 'timed_out', 'startup_failure') then 'failure'
            else 'unfinished'
        end as outcome,
        case when matches.conclusion = 'success' then jobs.completed_at end as deployed_at,
        case
            when matches.conclusion in ('failure', 'timed_out', 'startup_failure')
                then jobs.completed_at
        end as failed_at,
        false as is_time_estimated,
        matches.run_id,
        matches.rule_service,
    from rule_matches as matches
    left join last_attempt_jobs as jobs
        using (repo, run_id)
    -- Cancelled, skipped (and other) completed runs never deployed: they are not attempts.
    where matches.status is distinct from 'completed'
        or matches.conclusion in ('success', 'failure', 'timed_out', 'startup_failure')
),

unioned as (
    select *, null::varchar as rule_service from from_deployments_api
    union all by name
    select rules.*
    from from_deploy_rules as rules
    inner join environments
        using (repo, environment_name)
    -- Deployments API records of a repo x environment win over deploy rules for it.
    anti join api_environments
        on api_environments.repo = rules.repo
        and api_environments.environment = environments.environment
),

final as (
    select
        unioned.repo,
        coalesce(unioned.rule_service, environments.service) as service,
        environments.environment,
        unioned.deployment_id,
        unioned.source,
        unioned.environment_name,
        unioned.sha,
        unioned.ref,
        unioned.task,
        unioned.description,
        unioned.outcome,
        unioned.created_at,
        unioned.deployed_at,
        unioned.failed_at,
        unioned.is_time_estimated,
        unioned.run_id,
        runs.workflow_name,
        runs.run_url,
        coalesce(runs.is_manual, false) as is_manual,
        -- A deploy-rule run's names are its workflow's `name` and the run's `name`; its
        -- display_title is a commit headline or PR title ("Add rollback support"), not a name.
        case
            when unioned.source = 'workflow_run'
                then cfg.matches_rollback(workflows.workflow_name)
                    or cfg.matches_rollback(runs.workflow_name)
            else cfg.matches_rollback(unioned.description)
                or cfg.matches_rollback(unioned.task)
                or cfg.matches_rollback(runs.workflow_name)
        end as matches_rollback_pattern,
    from unioned
    inner join environments
        using (repo, environment_name)
    left join runs
        on runs.repo = unioned.repo
        and runs.run_id = unioned.run_id
    left join stg.stg_github__workflows as workflows
        on workflows.repo = runs.repo
        and workflows.workflow_id = runs.workflow_id
)

select * from final
