create or replace view stg.stg_github__issues as

with

source as (
    select * from raw.issues
),

renamed as (
    select
        repo,
        number as issue_number,
        title,
        lower(state) as state,
        list_transform(coalesce(labels, []::varchar[]), lambda label: lower(label)) as labels,
        created_at,
        closed_at,
        html_url,
    from source
)

select * from renamed
