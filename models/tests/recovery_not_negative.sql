select repo, source, deployment_id, failure_started_at, restored_at, recovery_seconds
from marts.deployments
where recovery_seconds < 0 or restored_at < failure_started_at
