create or replace view stg.stg_github__commit_files as

with

source as (
    select * from raw.commit_files
),

renamed as (
    select
        repo,
        sha,
        status,
        -- NULL when GitHub could not list them (the commit is gone): the files stay unknown
        paths,
        file_count,
    from source
)

select * from renamed
