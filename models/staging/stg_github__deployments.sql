create or replace view stg.stg_github__deployments as

with

source as (
    select * from raw.deployments
),

renamed as (
    select
        repo,
        deployment_id,
        sha,
        ref,
        task,
        environment as environment_name,
        description,
        creator_login,
        created_at,
        -- updated_at is deliberately not carried: GitHub bumps it and it is never a deploy time.
    from source
)

select * from renamed
