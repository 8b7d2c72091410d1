create or replace table marts.changes as

with

attributed as (
    select * from int.int_changes__attributed
),

final as (
    select
        repo,
        service,
        environment,
        sha,
        deployment_id,
        source as deployment_source,
        started_at,
        deployed_at,
        lead_time_seconds,
        pr_number,
        commit_url,
        message_headline,
        author_login,
        pr_url,
        pr_title,
        coding_seconds,
        review_seconds,
        delivery_seconds,
    from attributed
    -- a negative lead time (clock skew, rewritten dates) is excluded and counted in data_quality
    where not is_negative_lead_time
)

select * from final
