create or replace view stg.stg_github__pull_requests as

with

source as (
    select * from raw.pull_requests
),

renamed as (
    select
        repo,
        number as pr_number,
        title as pr_title,
        state,
        user_login,
        head_ref,
        base_ref,
        head_sha,
        merge_commit_sha,
        list_transform(coalesce(labels, []::varchar[]), lambda label: lower(label)) as labels,
        created_at,
        closed_at,
        merged_at,
        html_url as pr_url,
    from source
)

select * from renamed
