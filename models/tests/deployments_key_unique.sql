-- Every deployment attempt appears once, with its key set.
select repo, source, deployment_id, count(*) as rows
from marts.deployments
group by all
having count(*) > 1 or repo is null or source is null or deployment_id is null
