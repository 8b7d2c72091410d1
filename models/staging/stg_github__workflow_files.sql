create or replace view stg.stg_github__workflow_files as

with

source as (
    select * from raw.workflow_files
),

renamed as (
    select
        repo,
        path as workflow_path,
        definition ->> '$.name' as workflow_name,
        coalesce(cast(definition -> '$.on' as varchar[]), []::varchar[]) as triggers,
        coalesce(cast(definition -> '$.workflow_run' as varchar[]), []::varchar[]) as after_workflows,
        coalesce(
            cast(
                definition -> '$.jobs'
                as struct(id varchar, name varchar, uses varchar, needs varchar[], environment varchar)[]
            ),
            []
        ) as jobs,
        parse_error,
        content,
    from source
)

select * from renamed
