-- Commits attributed to the deployment that first shipped them, with squash-safe start times.
create or replace table int.int_changes__attributed as

with

reached as (
    select * from int.int_commits__first_deployment
),

deployments as (
    select * from int.int_deployments__classified
    where outcome = 'success'
),

commits as (
    select * from stg.stg_github__commits
),

pull_requests as (
    select * from int.int_commits__pull_requests
),

known_shas as (
    select repo, sha from commits
),

-- services with `[[services]]` path rules: a commit is among their changes only if it touches
-- one of their paths (or its files are unknown); services without rules keep every commit
ruled_services as (
    select distinct repo, service from cfg.service_paths
),

commit_services as (
    select * from int.int_commits__services
),

-- A range needs both ends in the history: D's sha and its previous deployment's sha.
resolvable as (
    select
        deployments.repo,
        deployments.source,
        deployments.deployment_id,
        own.sha is not null
            and (deployments.previous_success_sha is null or previous.sha is not null)
            as is_range_resolved,
    from deployments
    left join known_shas as own
        on own.repo = deployments.repo
        and own.sha = deployments.sha
    left join known_shas as previous
        on previous.repo = deployments.repo
        and previous.sha = deployments.previous_success_sha
),

joined as (
    select
        reached.repo,
        reached.service,
        reached.environment,
        reached.sha,
        reached.source,
        reached.deployment_id,
        reached.success_seq,
        deployments.deployed_at,
        commits.author_date,
        commits.author_login,
        commits.message_headline,
        commits.commit_url,
        pull_requests.pr_number,
        pull_requests.pr_title,
        pull_requests.pr_url,
        pull_requests.pr_created_at,
        pull_requests.pr_merged_at,
        ruled_services.service is not null and not commit_services.is_files_known
            as is_files_unknown,
        -- squash (or merge) commit of a pull request: the work began with its first commit
        case
            when pull_requests.is_merge_commit and pull_requests.first_authored_at is not null
                then pull_requests.first_authored_at
            else commits.author_date
        end as started_at,
    from reached
    inner join deployments
        on deployments.repo = reached.repo
        and deployments.service = reached.service
        and deployments.environment = reached.environment
        and deployments.source = reached.source
        and deployments.deployment_id = reached.deployment_id
    inner join commits
        on commits.repo = reached.repo
        and commits.sha = reached.sha
    inner join resolvable
        on resolvable.repo = reached.repo
        and resolvable.source = reached.source
        and resolvable.deployment_id = reached.deployment_id
    left join pull_requests
        on pull_requests.repo = reached.repo
        and pull_requests.sha = reached.sha
    left join ruled_services
        on ruled_services.repo = lower(reached.repo)
        and ruled_services.service = reached.service
    left join commit_services
        on commit_services.repo = reached.repo
        and commit_services.sha = reached.sha
        and commit_services.service = reached.service
    where commits.parent_count <= 1
        and (ruled_services.service is null or commit_services.is_service_change)
        -- the scope's first deployment has no baseline; rollbacks ship no changes
        and deployments.success_seq > 1
        and not deployments.is_rollback
        and resolvable.is_range_resolved
),

-- Stages never negative and summing to the lead time (METRICS.md section 3): coding = start ->
-- opened (0 for a commit written after the pull request opened), review = the later of start
-- and opened -> merged, delivery = merged -> deployed; each boundary is kept between the one
-- before it and the deployment, so a commit reaching production before its merge has no
-- negative stage either.
stage_opened as (
    select
        *,
        case
            when pr_merged_at is not null
                then least(greatest(pr_created_at, started_at), deployed_at)
        end as stage_opened_at,
    from joined
),

stages as (
    select
        *,
        case
            when stage_opened_at is not null
                then least(greatest(pr_merged_at, stage_opened_at), deployed_at)
        end as stage_merged_at,
    from stage_opened
),

final as (
    select
        * exclude (stage_opened_at, stage_merged_at),
        date_diff('second', started_at, deployed_at) as lead_time_seconds,
        date_diff('second', started_at, deployed_at) < 0 as is_negative_lead_time,
        date_diff('second', started_at, stage_opened_at) as coding_seconds,
        date_diff('second', stage_opened_at, stage_merged_at) as review_seconds,
        date_diff('second', stage_merged_at, deployed_at) as delivery_seconds,
    from stages
)

select * from final
