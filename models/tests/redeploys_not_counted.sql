select repo, source, deployment_id
from marts.deployments
where is_redeploy and (is_counted or is_rollback or is_change_failure or is_rework)
