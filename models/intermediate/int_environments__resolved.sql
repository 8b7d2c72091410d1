-- Every raw environment name seen, mapped to its canonical environment and service.
create or replace table int.int_environments__resolved as

with

aliases as (
    select * from cfg.environment_aliases
),

repositories as (
    select repo from stg.stg_github__repositories
    union
    select distinct repo from stg.stg_github__deployments
    union
    select distinct repo from stg.stg_github__workflow_runs
),

names as (
    select distinct repo, environment_name
    from stg.stg_github__deployments
    where environment_name is not null
    union
    select repositories.repo, rules.environment_name
    from repositories
    cross join cfg.deploy_rules as rules
    union
    -- only incidents: an issue that lost its incident label is still stored, but names nothing
    select distinct repo, substr(label, 5)
    from stg.stg_github__issues, unnest(labels) as labelled(label)
    where label like 'env:%'
        and len(list_intersect(labels, (select list(label) from cfg.incident_labels))) > 0
),

split as (
    select
        names.repo,
        names.environment_name,
        coalesce(cfg.environment_part(names.environment_name), names.environment_name)
            as environment_part,
        cfg.service_part(names.environment_name) as service_part,
    from names
),

final as (
    select
        split.repo,
        split.environment_name,
        coalesce(aliases.environment, lower(split.environment_part)) as environment,
        -- Without a service rule the service is the repository's name (without the owner);
        -- names are compared and stored lower-case, so `Acme/Api` is service `api`.
        lower(coalesce(split.service_part, split_part(split.repo, '/', 2))) as service,
    from split
    left join aliases
        on aliases.alias = lower(split.environment_part)
)

select * from final
