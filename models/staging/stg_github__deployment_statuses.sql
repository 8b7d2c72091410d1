create or replace view stg.stg_github__deployment_statuses as

with

source as (
    select * from raw.deployment_statuses
),

renamed as (
    select
        repo,
        status_id,
        deployment_id,
        lower(state) as state,
        description,
        environment as environment_name,
        coalesce(log_url, target_url) as log_url,
        -- Actions links each status to the run that created it: .../actions/runs/<id>/...
        try_cast(
            nullif(regexp_extract(coalesce(log_url, target_url, ''), '/actions/runs/([0-9]+)', 1), '')
            as bigint
        ) as run_id,
        created_at,
    from source
)

select * from renamed
