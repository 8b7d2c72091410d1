select changes.repo, changes.sha, changes.deployment_id
from marts.changes as changes
anti join marts.deployments as deployments
    on deployments.repo = changes.repo
    and deployments.source = changes.deployment_source
    and deployments.deployment_id = changes.deployment_id
    and deployments.outcome = 'success'
