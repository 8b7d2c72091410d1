select repo, source, deployment_id, outcome, deployed_at, failed_at
from marts.deployments
where outcome not in ('success', 'failure', 'superseded', 'unfinished')
    or (outcome = 'success' and deployed_at is null)
    or (outcome = 'failure' and failed_at is null)
    or (outcome in ('superseded', 'unfinished') and (deployed_at is not null or is_counted))
    or (is_retried and (outcome <> 'failure' or is_counted))
