-- Rates are shares: within [0, 1] whenever there is data.
select 'dora_weekly' as source, repo, service, environment, change_fail_rate, rework_rate
from marts.dora_weekly
where change_fail_rate not between 0 and 1 or rework_rate not between 0 and 1
union all
select 'dora_summary', repo, service, environment, change_fail_rate, rework_rate
from marts.dora_summary
where change_fail_rate not between 0 and 1 or rework_rate not between 0 and 1
union all
select 'workflow_health', repo, workflow_path, null, success_rate, rerun_share
from marts.workflow_health
where success_rate not between 0 and 1 or rerun_share not between 0 and 1
