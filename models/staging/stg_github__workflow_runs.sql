create or replace view stg.stg_github__workflow_runs as

with

source as (
    select * from raw.workflow_runs
),

renamed as (
    select
        repo,
        run_id,
        coalesce(run_attempt, 1) as run_attempt,
        workflow_id,
        name as workflow_name,
        path as workflow_path,
        event,
        status,
        conclusion,
        head_sha,
        head_branch,
        actor_login,
        triggering_actor_login,
        run_number,
        display_title,
        created_at,
        run_started_at,
        updated_at,
        html_url as run_url,
        -- Started by a person (or by an API call on someone's behalf), not by a push or schedule.
        event in ('workflow_dispatch', 'repository_dispatch') as is_manual,
    from source
)

select * from renamed
