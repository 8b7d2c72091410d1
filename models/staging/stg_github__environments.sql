create or replace view stg.stg_github__environments as

with

source as (
    select * from raw.environments
),

renamed as (
    select
        repo,
        environment_id,
        name as environment_name,
        coalesce(
            cast(json_extract_string(protection_rules, '$[*].type') as varchar[]),
            []::varchar[]
        ) as protection_rule_types,
        list_contains(protection_rule_types, 'required_reviewers') as has_required_reviewers,
        created_at,
        updated_at,
    from source
)

select * from renamed
