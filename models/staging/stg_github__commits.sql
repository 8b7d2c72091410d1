create or replace view stg.stg_github__commits as

with

source as (
    select * from raw.commits
),

renamed as (
    select
        repo,
        sha,
        coalesce(parents, []::varchar[]) as parents,
        len(coalesce(parents, []::varchar[])) as parent_count,
        author_name,
        author_login,
        author_date,
        committer_date,
        message,
        split_part(coalesce(message, ''), chr(10), 1) as message_headline,
        html_url as commit_url,
    from source
)

select * from renamed
