select repo, number, count(*) as rows
from marts.incidents
group by all
having count(*) > 1 or number is null
