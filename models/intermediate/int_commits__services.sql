-- Per commit of a repository with `[[services]]` path rules, and per service with rules there:
-- does the commit belong to the service's changes (it touches one of the service's paths)?
-- A commit whose files are unknown (not fetched yet, or gone from GitHub) belongs to every such
-- service, as it would without rules, and is counted in data_quality: never silently dropped.
create or replace table int.int_commits__services as

with

rules as (
    select distinct
        repo,
        service,
    from cfg.service_paths
),

-- a merge commit is never a change (its files are not fetched); its pull request's commits are
commits as (
    select
        repo,
        sha,
    from stg.stg_github__commits
    where parent_count <= 1
),

files as (
    select * from stg.stg_github__commit_files
),

candidates as (
    select
        commits.repo,
        commits.sha,
        rules.repo as rules_repo,
        rules.service,
        files.paths,
        files.paths is not null as is_files_known,
    from commits
    -- repository names are compared lower-case, as GitHub does (the rules are stored lower-case)
    inner join rules
        on rules.repo = lower(commits.repo)
    left join files
        on files.repo = commits.repo
        and files.sha = commits.sha
),

matched as (
    select
        repo,
        sha,
        service,
        is_files_known,
        -- a moved file's previous path is among `paths`, so moving code out of a service touches it
        coalesce(
            list_bool_or(
                list_transform(paths, lambda path: cfg.in_service_paths(rules_repo, service, path))
            ),
            false
        ) as touches_service_paths,
    from candidates
),

final as (
    select
        *,
        touches_service_paths or not is_files_known as is_service_change,
    from matched
)

select * from final
