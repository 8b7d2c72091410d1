-- A commit is attributed to one deployment per repo x service x environment, never again.
select repo, service, environment, sha, count(*) as rows
from marts.changes
group by all
having count(*) > 1
