-- Each run with its duration (start -> last job of the latest attempt done) and queue time.
create or replace table int.int_workflow_runs__timed as

with

runs as (
    select * from stg.stg_github__workflow_runs
),

jobs as (
    select * from stg.stg_github__workflow_jobs
),

last_job as (
    select
        jobs.repo,
        jobs.run_id,
        max(jobs.completed_at) as last_completed_at,
    from jobs
    inner join runs
        on runs.repo = jobs.repo
        and runs.run_id = jobs.run_id
        and runs.run_attempt = jobs.run_attempt
    group by all
),

final as (
    select
        runs.repo,
        runs.run_id,
        runs.workflow_id,
        runs.workflow_path,
        runs.workflow_name,
        runs.event,
        runs.status,
        runs.conclusion,
        runs.run_attempt,
        runs.is_manual,
        runs.created_at,
        runs.run_started_at,
        date_diff('second', runs.run_started_at, last_job.last_completed_at) as duration_seconds,
        date_diff('second', runs.created_at, runs.run_started_at) as queue_seconds,
    from runs
    left join last_job
        using (repo, run_id)
)

select * from final
