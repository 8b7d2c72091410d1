-- Each team owns a repo x service once; every such scope has deployments.
select team, repo, service, count(*) as rows
from marts.team_scopes
group by all
having count(*) > 1
    or not exists (
        select 1
        from marts.deployments
        where deployments.repo = team_scopes.repo and deployments.service = team_scopes.service
    )
