create or replace view stg.stg_github__workflow_jobs as

with

source as (
    select * from raw.workflow_jobs
),

renamed as (
    select
        repo,
        job_id,
        run_id,
        coalesce(run_attempt, 1) as run_attempt,
        name as job_name,
        status,
        conclusion,
        head_sha,
        created_at,
        started_at,
        completed_at,
        html_url,
    from source
)

select * from renamed
