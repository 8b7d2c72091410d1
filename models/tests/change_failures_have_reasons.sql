-- Every change failure keeps at least one reason; only counted deployments can fail.
select repo, source, deployment_id, is_change_failure, failure_reasons, is_counted
from marts.deployments
where (is_change_failure and coalesce(failure_reasons, '') = '')
    or (not is_change_failure and coalesce(failure_reasons, '') <> '')
    or (is_change_failure and not is_counted)
