"""The filter state every page shares (team, repo, service, environment, period, granularity,
edition)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

GRAINS = ("week", "month")
EDITIONS = ("2021", "2023", "2024")


@dataclass(frozen=True)
class Scope:
    """What the user filtered on; `None` means every repo / service / environment."""

    repo: str | None
    service: str | None
    environment: str | None
    start: date
    end: date  # inclusive
    grain: str = "week"
    edition: str = "2023"
    team: str | None = None  # only that team's scopes (`team_scopes`); None: every scope

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Scope:
        """The period of the same length just before this one."""
        return self.between(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def between(self, start: date, end: date) -> Scope:
        return replace(self, start=start, end=end)

    def of_team(self, team: str | None) -> Scope:
        """The same filters for one team's scopes (None: the whole organisation)."""
        return replace(self, team=team)

    def params(self) -> dict[str, object]:
        """Query parameters: the period is [start, end + 1 day) in naive UTC timestamps."""
        return {
            "repo": self.repo,
            "service": self.service,
            "environment": self.environment,
            "team": self.team,
            "start": datetime.combine(self.start, time.min),
            "end": datetime.combine(self.end + timedelta(days=1), time.min),
        }
