-- The merged pull request each commit belongs to: as its squash/merge commit, else as one of its commits.
create or replace table int.int_commits__pull_requests as

with

pull_requests as (
    select * from stg.stg_github__pull_requests
    where merged_at is not null
),

pull_request_commits as (
    select * from stg.stg_github__pull_request_commits
),

first_authored as (
    select
        repo,
        pr_number,
        min(author_date) as first_authored_at,
    from pull_request_commits
    group by all
),

links as (
    select
        repo,
        merge_commit_sha as sha,
        pr_number,
        true as is_merge_commit,
    from pull_requests
    where merge_commit_sha is not null
    union all
    select
        pull_request_commits.repo,
        pull_request_commits.sha,
        pull_request_commits.pr_number,
        false as is_merge_commit,
    from pull_request_commits
    inner join pull_requests
        using (repo, pr_number)
),

final as (
    select
        links.repo,
        links.sha,
        links.pr_number,
        links.is_merge_commit,
        first_authored.first_authored_at,
        pull_requests.pr_title,
        pull_requests.pr_url,
        pull_requests.created_at as pr_created_at,
        pull_requests.merged_at as pr_merged_at,
        pull_requests.head_ref,
        pull_requests.labels,
    from links
    inner join pull_requests
        using (repo, pr_number)
    left join first_authored
        using (repo, pr_number)
    qualify row_number() over (
        partition by links.repo, links.sha
        order by links.is_merge_commit desc, links.pr_number
    ) = 1
)

select * from final
