create or replace table marts.workflow_runs_weekly as

with

runs as (
    select * from int.int_workflow_runs__timed
),

final as (
    select
        repo,
        workflow_path,
        any_value(workflow_name order by created_at desc) as workflow_name,
        cast(date_trunc('week', created_at) as date) as week_start,
        count(*) as runs,
        count(*) filter (where conclusion in ('failure', 'timed_out', 'startup_failure'))
            as failures,
        count(*) filter (where is_manual) as manual_runs,
    from runs
    group by repo, workflow_path, week_start
)

select * from final
