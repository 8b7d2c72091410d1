-- One row per production release (see int_releases__sessions): how many of its steps people
-- started by hand (release_steps), and how many manual steps would remain with the proposed
-- orchestrator (the runs it does not replace, plus its approvals, for a release where it
-- replaces any).
create or replace table marts.releases as

with

releases as (
    select * from int.int_releases__sessions
),

steps as (
    select
        repo,
        release_id,
        count(*) as manual_runs,
        count(*) filter (where replaced_by_proposal) as manual_runs_replaced,
    from marts.release_steps
    group by all
),

proposals as (
    select
        repo,
        approval_gates,
    from marts.orchestration_proposals
    where workflow_yaml is not null
),

final as (
    select
        releases.repo,
        releases.release_id,
        releases.started_at,
        releases.released_at,
        releases.ended_at,
        releases.production_deployments,
        coalesce(steps.manual_runs, 0) as manual_runs,
        coalesce(steps.manual_runs_replaced, 0) as manual_runs_replaced,
        case
            when coalesce(steps.manual_runs_replaced, 0) > 0
                then steps.manual_runs - steps.manual_runs_replaced + proposals.approval_gates
            else coalesce(steps.manual_runs, 0)
        end as manual_steps_with_proposal,
    from releases
    left join steps
        using (repo, release_id)
    left join proposals
        using (repo)
)

select * from final
