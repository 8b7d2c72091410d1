-- Successful counted deployments that are rework, and why (METRICS.md section 3).
create or replace table int.int_deployments__rework as

with

deployments as (
    select * from int.int_deployments__classified
    where outcome = 'success' and is_counted
),

settings as (
    select * from cfg.settings
),

-- what a deployment ships = its attributed changes (the first deployment's baseline is not shipped)
shipped as (
    select * from int.int_changes__attributed
),

ships_revert as (
    select distinct
        shipped.repo,
        shipped.source,
        shipped.deployment_id,
    from shipped
    inner join int.int_commits__reverts as reverts
        using (repo, sha)
    -- a revert shipped together with the commit it reverts undoes nothing: it makes no rework
    anti join shipped as together
        on together.repo = shipped.repo
        and together.source = shipped.source
        and together.deployment_id = shipped.deployment_id
        and together.sha = reverts.reverted_sha
),

ships_hotfix as (
    select distinct
        shipped.repo,
        shipped.source,
        shipped.deployment_id,
    from shipped
    inner join int.int_commits__pull_requests as pull_requests
        using (repo, sha)
    cross join settings
    where starts_with(lower(coalesce(pull_requests.head_ref, '')), settings.hotfix_branch_prefix)
        or list_contains(pull_requests.labels, settings.hotfix_label)
),

restored_real_failure as (
    select distinct
        repo,
        restored_by_deployment_id as deployment_id,
    from int.int_deployments__failures
    where restored_by_deployment_id is not null
        and len(list_filter(failure_reasons, lambda reason: reason <> 'deploy_failed')) > 0
),

final as (
    select
        deployments.repo,
        deployments.service,
        deployments.environment,
        deployments.source,
        deployments.deployment_id,
        deployments.is_rollback,
        ships_revert.deployment_id is not null as ships_revert,
        ships_hotfix.deployment_id is not null as ships_hotfix,
        restored_real_failure.deployment_id is not null as restored_failure,
    from deployments
    left join ships_revert
        using (repo, source, deployment_id)
    left join ships_hotfix
        using (repo, source, deployment_id)
    left join restored_real_failure
        using (repo, deployment_id)
    where deployments.is_rollback
        or ships_revert.deployment_id is not null
        or ships_hotfix.deployment_id is not null
        or restored_real_failure.deployment_id is not null
)

select * from final
