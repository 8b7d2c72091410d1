create or replace view stg.stg_github__workflows as

with

source as (
    select * from raw.workflows
),

renamed as (
    select
        repo,
        workflow_id,
        name as workflow_name,
        path as workflow_path,
        state,
        html_url,
        created_at,
        updated_at,
    from source
)

select * from renamed
