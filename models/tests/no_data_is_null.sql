-- A week without counted deployments has NULL rates, never zero.
select repo, service, environment, week_start, change_fail_rate, rework_rate
from marts.dora_weekly
where counted_deployments = 0
    and (change_fail_rate is not null or rework_rate is not null)
