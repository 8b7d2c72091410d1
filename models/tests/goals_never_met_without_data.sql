-- A goal is never "met" without a value, and a "no data" period always says why.
select goal_id, team, period_end, status, value, no_data_reason
from marts.goal_status
where (status = 'met' and value is null)
    or (status = 'no data') <> (no_data_reason is not null)
    or status not in ('met', 'missed', 'no data')
