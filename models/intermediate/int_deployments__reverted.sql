-- Deployments whose attributed change was reverted by a later deployment of the same scope.
create or replace table int.int_deployments__reverted as

with

changes as (
    select * from int.int_changes__attributed
),

reverts as (
    select * from int.int_commits__reverts
),

shipped_reverts as (
    select
        changes.repo,
        changes.service,
        changes.environment,
        changes.success_seq,
        reverts.reverted_sha,
    from changes
    inner join reverts
        using (repo, sha)
),

-- only a deployment to which C is attributed can be reverted (a C in the first deployment's
-- baseline, or from before the data starts, reverts nothing), and only by a later deployment:
-- when C and its revert ship together, users never saw C
final as (
    select distinct
        original.repo,
        original.service,
        original.environment,
        original.source,
        original.deployment_id,
    from shipped_reverts
    inner join changes as original
        on original.repo = shipped_reverts.repo
        and original.service = shipped_reverts.service
        and original.environment = shipped_reverts.environment
        and original.sha = shipped_reverts.reverted_sha
    where original.success_seq < shipped_reverts.success_seq
)

select * from final
