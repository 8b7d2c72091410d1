-- Attempts ordered within their scope: previous success, redeploys, counted, rollbacks (sections 1-2).
create or replace table int.int_deployments__classified as

with

attempts as (
    select * from int.int_deployments__attempts
),

ordered as (
    select
        repo,
        service,
        environment,
        source,
        deployment_id,
        sha,
        description,
        task,
        workflow_name,
        row_number() over scope_order as success_seq,
        lag(sha) over scope_order as previous_success_sha,
    from attempts
    where outcome = 'success'
    window scope_order as (partition by repo, service, environment order by deployed_at, deployment_id)
),

successes as (
    select
        *,
        -- the latest earlier successful deployment of the same sha, if any
        max(success_seq) over (
            partition by repo, service, environment, sha
            order by success_seq
            rows between unbounded preceding and 1 preceding
        ) as previous_same_sha_seq,
    from ordered
),

flagged as (
    select
        successes.*,
        coalesce(successes.sha = successes.previous_success_sha, false) as is_redeploy,
        cfg.matches_rollback(successes.description)
            or cfg.matches_rollback(successes.task)
            or cfg.matches_rollback(successes.workflow_name) as matches_rollback_pattern,
    from successes
),

with_counted as (
    select
        *,
        not is_redeploy
            and (previous_same_sha_seq is not null or matches_rollback_pattern) as is_rollback,
        -- the latest counted success before this one (pattern-only rollbacks roll it back)
        max(case when not is_redeploy then success_seq end) over (
            partition by repo, service, environment
            order by success_seq
            rows between unbounded preceding and 1 preceding
        ) as previous_counted_seq,
    from flagged
),

rollbacks as (
    select
        repo,
        service,
        environment,
        deployment_id as rollback_deployment_id,
        success_seq as rollback_seq,
        coalesce(previous_same_sha_seq, previous_counted_seq - 1) as after_seq,
    from with_counted
    where is_rollback
),

rolled_back as (
    select
        target.repo,
        target.service,
        target.environment,
        target.source,
        target.deployment_id,
        arg_min(rollbacks.rollback_deployment_id, rollbacks.rollback_seq) as rolled_back_by,
    from with_counted as target
    inner join rollbacks
        on rollbacks.repo = target.repo
        and rollbacks.service = target.service
        and rollbacks.environment = target.environment
        and target.success_seq > rollbacks.after_seq
        and target.success_seq < rollbacks.rollback_seq
    where not target.is_redeploy
    group by all
),

final as (
    select
        attempts.*,
        successes.success_seq,
        successes.previous_success_sha,
        coalesce(successes.is_redeploy, false) as is_redeploy,
        attempts.outcome in ('success', 'failure')
            and not coalesce(successes.is_redeploy, false) as is_counted,
        coalesce(successes.is_rollback, false) as is_rollback,
        rolled_back.rolled_back_by,
        coalesce(attempts.deployed_at, attempts.failed_at) as event_at,
    from attempts
    left join with_counted as successes
        using (repo, service, environment, source, deployment_id)
    left join rolled_back
        using (repo, service, environment, source, deployment_id)
)

select * from final
