select repo, source, deployment_id, outcome, deployed_at, failed_at
from marts.deployments
where outcome not in ('success', 'failure', 'unfinished')
    or (outcome = 'success' and deployed_at is null)
    or (outcome = 'failure' and failed_at is null)
    or (outcome = 'unfinished' and (deployed_at is not null or is_counted))
