create or replace table marts.incidents as

with

incidents as (
    select * from int.int_incidents__attributed
),

final as (
    select
        repo,
        issue_number as number,
        environment,
        service,
        created_at,
        closed_at,
        state,
        deployment_id,
        deployment_source,
        title,
        html_url,
    from incidents
)

select * from final
