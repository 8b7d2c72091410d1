-- Incident issues with their environment, service and the deployment they are attributed to.
create or replace table int.int_incidents__attributed as

with

issues as (
    select * from stg.stg_github__issues
),

settings as (
    select * from cfg.settings
),

environments as (
    select * from int.int_environments__resolved
),

counted_successes as (
    select * from int.int_deployments__classified
    where outcome = 'success' and is_counted
),

incidents as (
    select
        issues.*,
        list_min(list_transform(
            list_filter(issues.labels, lambda label: starts_with(label, 'env:')),
            lambda label: substr(label, 5)
        )) as environment_label,
        list_min(list_transform(
            list_filter(issues.labels, lambda label: starts_with(label, 'service:')),
            lambda label: substr(label, 9)
        )) as service_label,
    from issues
    where len(list_intersect(issues.labels, (select list(label) from cfg.incident_labels))) > 0
),

placed as (
    select
        incidents.*,
        coalesce(
            environments.environment, lower(incidents.environment_label), 'production'
        ) as environment,
    from incidents
    left join environments
        on environments.repo = incidents.repo
        and environments.environment_name = incidents.environment_label
),

by_environment as (
    select
        placed.repo,
        placed.issue_number,
        successes.service,
        successes.source,
        successes.deployment_id,
        successes.deployed_at,
    from placed
    asof inner join counted_successes as successes
        on successes.repo = placed.repo
        and successes.environment = placed.environment
        and successes.deployed_at <= placed.created_at
    where placed.service_label is null
),

by_service as (
    select
        placed.repo,
        placed.issue_number,
        successes.service,
        successes.source,
        successes.deployment_id,
        successes.deployed_at,
    from placed
    asof inner join counted_successes as successes
        on successes.repo = placed.repo
        and successes.environment = placed.environment
        and successes.service = placed.service_label
        and successes.deployed_at <= placed.created_at
    where placed.service_label is not null
),

candidates as (
    select * from by_environment
    union all
    select * from by_service
),

final as (
    select
        placed.repo,
        placed.issue_number,
        placed.title,
        placed.html_url,
        placed.environment,
        coalesce(placed.service_label, candidates.service) as service,
        placed.created_at,
        -- an incident reopened and open now is unresolved, whatever closed_at says
        case when placed.state = 'closed' then placed.closed_at end as closed_at,
        placed.state,
        candidates.source as deployment_source,
        candidates.deployment_id,
        candidates.deployed_at,
    from placed
    left join candidates
        on candidates.repo = placed.repo
        and candidates.issue_number = placed.issue_number
        and date_diff('second', candidates.deployed_at, placed.created_at)
            <= (select attribution_window_seconds from settings)
)

select * from final
