select repo, sha, deployment_id, lead_time_seconds
from marts.changes
where lead_time_seconds < 0 or lead_time_seconds is null
