-- Change failures with every reason, and when each was restored (METRICS.md section 3).
create or replace table int.int_deployments__failures as

with

deployments as (
    select * from int.int_deployments__classified
    where is_counted
),

settings as (
    select * from cfg.settings
),

incidents as (
    select * from int.int_incidents__attributed
    where deployment_id is not null
),

incident_summary as (
    select
        repo,
        deployment_source as source,
        deployment_id,
        count(*) as incident_count,
        count(*) = count(closed_at) as all_closed,
        max(closed_at) as last_closed_at,
    from incidents
    group by all
),

reasons as (
    select
        deployments.repo,
        deployments.service,
        deployments.environment,
        deployments.source,
        deployments.deployment_id,
        deployments.outcome,
        deployments.success_seq,
        deployments.deployed_at,
        deployments.failed_at,
        list_sort(list_filter([
            case
                when deployments.outcome = 'failure' and settings.deploy_failed_is_change_failure
                    then 'deploy_failed'
            end,
            case when deployments.rolled_back_by is not null then 'rolled_back' end,
            case when reverted.deployment_id is not null then 'reverted' end,
            case when incident_summary.incident_count > 0 then 'incident' end,
            case when verification.deployment_id is not null then 'verification_failed' end
        ], lambda reason: reason is not null)) as failure_reasons,
        incident_summary.all_closed,
        incident_summary.last_closed_at,
    from deployments
    cross join settings
    left join int.int_deployments__reverted as reverted
        using (repo, service, environment, source, deployment_id)
    left join int.int_deployments__verification_failed as verification
        using (repo, service, environment, source, deployment_id)
    left join incident_summary
        using (repo, source, deployment_id)
),

failures as (
    select
        *,
        case when outcome = 'failure' then failed_at else deployed_at end as failure_started_at,
    from reasons
    where len(failure_reasons) > 0
),

healthy as (
    select
        deployments.repo,
        deployments.service,
        deployments.environment,
        deployments.deployment_id,
        deployments.success_seq,
        deployments.deployed_at,
    from deployments
    anti join failures
        using (repo, service, environment, source, deployment_id)
    where deployments.outcome = 'success'
),

after_success as (
    select
        failures.repo,
        failures.source,
        failures.deployment_id,
        healthy.deployment_id as healthy_deployment_id,
        healthy.deployed_at as healthy_deployed_at,
    from failures
    asof inner join healthy
        on healthy.repo = failures.repo
        and healthy.service = failures.service
        and healthy.environment = failures.environment
        and healthy.success_seq > failures.success_seq
    where failures.outcome = 'success'
),

after_failed_attempt as (
    select
        failures.repo,
        failures.source,
        failures.deployment_id,
        healthy.deployment_id as healthy_deployment_id,
        healthy.deployed_at as healthy_deployed_at,
    from failures
    asof inner join healthy
        on healthy.repo = failures.repo
        and healthy.service = failures.service
        and healthy.environment = failures.environment
        and healthy.deployed_at > failures.failed_at
    where failures.outcome = 'failure'
),

next_healthy as (
    select * from after_success
    union all
    select * from after_failed_attempt
),

restored as (
    select
        failures.*,
        next_healthy.healthy_deployment_id,
        next_healthy.healthy_deployed_at,
        case when failures.all_closed then failures.last_closed_at end as incidents_closed_at,
    from failures
    left join next_healthy
        using (repo, source, deployment_id)
),

final as (
    select
        repo,
        service,
        environment,
        source,
        deployment_id,
        failure_reasons,
        failure_started_at,
        least(healthy_deployed_at, incidents_closed_at) as restored_at,
        case
            when healthy_deployed_at <= coalesce(incidents_closed_at, healthy_deployed_at)
                then healthy_deployment_id
        end as restored_by_deployment_id,
        date_diff('second', failure_started_at, least(healthy_deployed_at, incidents_closed_at))
            as recovery_seconds,
    from restored
)

select * from final
