-- A rolling level exists only with enough counted deployments in its window, and never
-- without the measure it is banded on.
select rolling_levels.unit_kind, rolling_levels.unit, rolling_levels.evaluated_at,
    rolling_levels.metric, rolling_levels.level, rolling_levels.counted_deployments
from marts.rolling_levels
cross join cfg.level_rules
where rolling_levels.level is not null
    and (
        rolling_levels.counted_deployments < level_rules.min_counted_deployments
        or rolling_levels.value is null
    )
