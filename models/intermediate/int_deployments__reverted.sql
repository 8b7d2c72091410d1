-- Deployments whose shipped commit was later reverted by a deployment of the same scope.
create or replace table int.int_deployments__reverted as

with

reached as (
    select * from int.int_commits__first_deployment
),

reverts as (
    select * from int.int_commits__reverts
),

first_deployments as (
    select
        repo,
        service,
        environment,
        source,
        deployment_id,
    from int.int_deployments__classified
    where success_seq = 1
),

shipping_revert as (
    select
        reached.repo,
        reached.service,
        reached.environment,
        reverts.reverted_sha,
    from reverts
    inner join reached
        using (repo, sha)
),

final as (
    select distinct
        shipping_revert.repo,
        shipping_revert.service,
        shipping_revert.environment,
        -- the reverted commit's first shipper; a commit first shipped by the scope's first
        -- deployment is part of its baseline, which the walk does not list
        coalesce(original.source, first_deployments.source) as source,
        coalesce(original.deployment_id, first_deployments.deployment_id) as deployment_id,
    from shipping_revert
    left join reached as original
        on original.repo = shipping_revert.repo
        and original.service = shipping_revert.service
        and original.environment = shipping_revert.environment
        and original.sha = shipping_revert.reverted_sha
    left join first_deployments
        on first_deployments.repo = shipping_revert.repo
        and first_deployments.service = shipping_revert.service
        and first_deployments.environment = shipping_revert.environment
    -- a revert reverts an earlier commit, so it can only be first shipped with it or after it;
    -- a deployment shipping both is reverted too (METRICS.md read literally)
    where shipping_revert.reverted_sha in (select sha from stg.stg_github__commits)
)

select * from final
