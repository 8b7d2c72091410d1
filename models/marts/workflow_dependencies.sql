create or replace table marts.workflow_dependencies as

with

files as (
    select * from stg.stg_github__workflow_files
),

environments as (
    select * from int.int_environments__resolved
),

jobs as (
    select
        files.repo,
        files.workflow_path,
        files.workflow_name,
        unnest(files.jobs, recursive := true),
    from files
),

-- `uses: ./.github/workflows/x.yml` (same repo) or `owner/repo/.github/workflows/x.yml@ref`
calls as (
    select
        repo,
        workflow_path,
        workflow_name,
        'calls' as kind,
        id as job_id,
        case
            when starts_with(uses, './') then repo
            else regexp_extract(uses, '^([^/]+/[^/]+)/', 1)
        end as target_repo,
        case
            when starts_with(uses, './') then substr(split_part(uses, '@', 1), 3)
            else regexp_extract(split_part(uses, '@', 1), '^[^/]+/[^/]+/(.*)$', 1)
        end as target_path,
        uses as target,
    from jobs
    where uses like '%.github/workflows/%'
),

-- `on: workflow_run: workflows: [NAME]` names the triggering workflow by its `name:`
triggers as (
    select
        triggering.repo,
        triggering.workflow_path,
        coalesce(triggering.workflow_name, triggered.after_workflow) as workflow_name,
        'triggers' as kind,
        null as job_id,
        triggered.repo as target_repo,
        triggered.workflow_path as target_path,
        coalesce(triggered.workflow_name, triggered.workflow_path) as target,
    from (
        select repo, workflow_path, workflow_name, unnest(after_workflows) as after_workflow
        from files
    ) as triggered
    left join files as triggering
        on triggering.repo = triggered.repo
        and triggering.workflow_name = triggered.after_workflow
),

deploys_to as (
    select
        jobs.repo,
        jobs.workflow_path,
        jobs.workflow_name,
        'deploys_to' as kind,
        jobs.id as job_id,
        null as target_repo,
        null as target_path,
        coalesce(environments.environment, lower(jobs.environment)) as target,
    from jobs
    left join environments
        on environments.repo = jobs.repo
        and environments.environment_name = jobs.environment
    where jobs.environment is not null
),

needs as (
    select
        repo,
        workflow_path,
        workflow_name,
        'needs' as kind,
        id as job_id,
        repo as target_repo,
        workflow_path as target_path,
        unnest(needs) as target,
    from jobs
),

edges as (
    select * from calls
    union all by name
    select * from triggers
    union all by name
    select * from deploys_to
    union all by name
    select * from needs
),

started_by_others as (
    select distinct target_repo as repo, target_path as workflow_path
    from edges
    where kind in ('calls', 'triggers') and target_path is not null
),

nodes as (
    select
        files.repo,
        files.workflow_path,
        files.workflow_name,
        'workflow' as kind,
        null as job_id,
        null as target_repo,
        null as target_path,
        null as target,
        array_to_string(files.triggers, ',') as triggers,
        -- only people start it: dispatch events only, and no workflow calls or triggers it
        -- (`workflow_call` in `on:` starts nothing by itself: only a caller does, checked here)
        len(list_filter(
            files.triggers, lambda t: t in ('workflow_dispatch', 'repository_dispatch')
        )) > 0
            and len(list_filter(
                files.triggers,
                lambda t: t not in ('workflow_dispatch', 'repository_dispatch', 'workflow_call')
            )) = 0
            and started.workflow_path is null as is_manual_only,
    from files
    left join started_by_others as started
        using (repo, workflow_path)
),

final as (
    select
        nodes.repo,
        nodes.workflow_path,
        nodes.workflow_name,
        nodes.kind,
        nodes.job_id,
        nodes.target_repo,
        nodes.target_path,
        nodes.target,
        nodes.triggers,
        nodes.is_manual_only,
    from nodes
    union all by name
    select
        edges.*,
        nodes.triggers,
        nodes.is_manual_only,
    from edges
    left join nodes
        using (repo, workflow_path)
)

select * from final
