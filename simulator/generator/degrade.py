"""Make a team's production worse on purpose (`POST /_simulator/advance?days=N&failures=REPO`).

Every successful production deployment of those repositories in the advanced days is followed,
20 minutes later, by an incident that on-call closes half an hour after: each release becomes a
change failure (METRICS.md section 2) restored within the hour, so the change fail rate rises
while deployment frequency, lead time and recovery time stay as they were. Alert tests use it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

OPENS_AFTER = timedelta(minutes=20)
LASTS = timedelta(minutes=30)


def incidents_after_releases(world, repos: set[str], since: datetime) -> int:
    """Open and close one incident after each production success since `since`; returns how many."""
    opened = 0
    for sim in world.sims:
        if sim.repo.full_name.lower() not in repos:
            continue
        for deployment in list(sim.repo.deployments):
            environment, service = sim.scopes.get(deployment.environment, (None, None))
            success = next((s.created_at for s in deployment.statuses if s.state == "success"), None)  # fmt: skip
            if environment != "production" or success is None or success < since:
                continue
            at = success + OPENS_AFTER
            if at + LASTS >= world.end:
                continue
            labels = ("incident",) if service == sim.repo.name else ("incident", f"service:{service}")  # fmt: skip
            issue = sim.open_issue(
                f"Incident: errors after release {deployment.sha[:7]}",
                "Opened by on-call: error rate above SLO right after the release.",
                sim.team[0],
                at,
                labels,
            )
            closed = at + LASTS
            issue.state, issue.state_reason = "closed", "completed"
            issue.closed_at = issue.updated_at = closed
            opened += 1
    return opened
