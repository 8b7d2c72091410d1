-- Attempts ordered within their scope: previous success, redeploys, retries, counted, rollbacks
-- (METRICS.md sections 1-2).
create or replace table int.int_deployments__classified as

with

attempts as (
    select * from int.int_deployments__attempts
),

-- A failed attempt whose next attempt in the scope (by creation) is of the same sha was retried:
-- the retry stands for it (a re-run of a flaky deploy job makes a new deployment of that sha).
retried as (
    select
        repo,
        source,
        deployment_id,
        coalesce(outcome = 'failure' and lead(sha) over attempt_order = sha, false) as is_retried,
    from attempts
    window attempt_order as (
        partition by repo, service, environment order by created_at, deployment_id
    )
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
        matches_rollback_pattern,
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
        retried.is_retried,
        attempts.outcome in ('success', 'failure')
            and not coalesce(successes.is_redeploy, false)
            and not retried.is_retried as is_counted,
        coalesce(successes.is_rollback, false) as is_rollback,
        rolled_back.rolled_back_by,
        coalesce(attempts.deployed_at, attempts.failed_at) as event_at,
    from attempts
    inner join retried
        using (repo, source, deployment_id)
    left join with_counted as successes
        using (repo, service, environment, source, deployment_id)
    left join rolled_back
        using (repo, service, environment, source, deployment_id)
)

select * from final
