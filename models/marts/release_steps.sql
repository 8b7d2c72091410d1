-- Each manual run of a production release (int_releases__steps), and whether the proposed
-- orchestrator would run it instead of a person: its workflow is one the proposal calls.
create or replace table marts.release_steps as

with

steps as (
    select * from int.int_releases__steps
),

proposals as (
    select
        repo,
        called_workflows,
    from marts.orchestration_proposals
    where workflow_yaml is not null
),

final as (
    select
        steps.repo,
        steps.release_id,
        steps.step,
        steps.run_id,
        steps.workflow_path,
        steps.workflow_name,
        steps.dispatched_at,
        steps.deploys_production,
        steps.environments,
        coalesce(
            list_contains(proposals.called_workflows, steps.workflow_path), false
        ) as replaced_by_proposal,
    from steps
    left join proposals
        using (repo)
)

select * from final
