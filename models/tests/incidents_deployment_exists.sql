select incidents.repo, incidents.number, incidents.deployment_id
from marts.incidents as incidents
anti join marts.deployments as deployments
    on deployments.repo = incidents.repo
    and deployments.source = incidents.deployment_source
    and deployments.deployment_id = incidents.deployment_id
    and deployments.is_counted
where incidents.deployment_id is not null
