"""`[[teams]]`, `[[goals]]` and `[levels]` of dora.toml: who owns what, what they aim for, and
when a DORA level is steady enough to act on."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from settings.metrics_catalogue import BY_KEY

_DURATION_UNITS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_COMPARISONS = {"<": "<", "<=": "<=", "≤": "<=", ">": ">", ">=": ">=", "≥": ">="}
_TARGET = re.compile(r"^\s*(<=|>=|≤|≥|<|>)\s*(\d+(?:\.\d+)?)\s*(.*?)\s*$")
# what may follow a per-week number: "3", "3 deploy days", "3 a week", "3 deploys per week"
_PER_WEEK_WORDS = re.compile(r"^((deploy\s+)?days?|deploys?|deployments?)?\s*((a|per|/)\s*week)?$")
# Goal metrics: the catalogue's five, plus deploy days per week ("at least 3 deploy days a week").
GOAL_METRICS: dict[str, str] = {
    **{key: metric.unit for key, metric in BY_KEY.items()},
    "deploy_days": "per_week",
}
GOAL_LABELS: dict[str, str] = {
    **{key: metric.label for key, metric in BY_KEY.items()},
    "deploy_days": "Deploy days",
}
PERIOD_DAYS = {"week": 7, "30 days": 30}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _clean_name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} must not be empty")
    if any(ord(char) < 32 for char in value):
        raise ValueError(f"{what} must not hold control characters")
    return value


class TeamSettings(_Section):
    """One team: the repositories (globs) and optionally services it owns, and who hears of it."""

    name: str
    repos: list[str] = Field(default_factory=list)  # "acme/web", "acme/web-*", "acme/*"
    services: list[str] = Field(default_factory=list)  # none: every service of those repos
    recipients: list[str] = Field(default_factory=list)  # its weekly email and its alerts

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = _clean_name(value, "a team's name")
        if value == "*":
            raise ValueError("'*' is not a team's name (goals use it for every team)")
        return value

    @field_validator("repos")
    @classmethod
    def _repo_globs(cls, value: list[str]) -> list[str]:
        for glob in value:
            if not re.fullmatch(r"[\w.*?\[\]-]+/[\w.*?\[\]-]+", glob):
                raise ValueError(f"{glob!r} is not OWNER/NAME (globs such as acme/web-* allowed)")
        return [glob.lower() for glob in value]

    @field_validator("services")
    @classmethod
    def _lower_services(cls, value: list[str]) -> list[str]:
        return [_clean_name(service, "a service").lower() for service in value]

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address):
                raise ValueError(f"{address!r} is not an email address")
        return value


def parse_target(metric: str, target: str) -> tuple[str, float]:
    """`"< 1 day"` -> ("<", 86400.0); `"<= 10%"` -> ("<=", 0.1); `">= 3"` -> (">=", 3.0).

    The unit must fit the metric: a duration for lead time and recovery, a percentage for the
    rates, a plain number (per week) for deployment frequency and deploy days.
    """
    found = _TARGET.match(target)
    if not found:
        raise ValueError(
            f"target {target!r} is not a comparison and a number, e.g. '< 1 day', '<= 10%', '>= 3'"
        )
    comparison, number, unit = _COMPARISONS[found[1]], float(found[2]), found[3].lower()
    kind = GOAL_METRICS[metric]
    if kind == "duration":
        if unit not in _DURATION_UNITS:
            raise ValueError(f"target {target!r} of {metric} needs a duration unit, e.g. '< 1 day'")
        return comparison, number * _DURATION_UNITS[unit]
    if kind == "rate":
        if unit != "%":
            raise ValueError(f"target {target!r} of {metric} needs a percentage, e.g. '<= 10%'")
        if number > 100:
            raise ValueError(f"target {target!r} of {metric} is over 100%")
        return comparison, number / 100
    if not _PER_WEEK_WORDS.match(unit):
        raise ValueError(f"target {target!r} of {metric} is a number per week, e.g. '>= 3'")
    return comparison, number


class GoalSettings(_Section):
    """A working agreement: a team's metric against a target, judged per week or per 30 days."""

    team: str = "*"  # a team's name, or "*": every team on its own (the organisation without teams)
    environment: str = "production"
    metric: Literal[
        "deployment_frequency",
        "deploy_days",
        "lead_time",
        "change_fail_rate",
        "recovery",
        "rework_rate",
    ]
    target: str
    period: Literal["week", "30 days"] = "week"

    @field_validator("team")
    @classmethod
    def _team(cls, value: str) -> str:
        return _clean_name(value, "a goal's team")

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        return _clean_name(value, "a goal's environment").lower()

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: object) -> object:
        aliases = {"30d": "30 days", "30 day": "30 days", "weekly": "week", "7 days": "week"}
        return aliases.get(str(value).strip().lower(), value)

    @model_validator(mode="after")
    def _target_fits_metric(self) -> GoalSettings:
        parse_target(self.metric, self.target)
        return self

    @property
    def comparison(self) -> str:
        return parse_target(self.metric, self.target)[0]

    @property
    def threshold(self) -> float:
        return parse_target(self.metric, self.target)[1]

    @property
    def period_days(self) -> int:
        return PERIOD_DAYS[self.period]

    @property
    def goal_id(self) -> str:
        """Stable and readable: alert keys and the marts name a goal by it."""
        return f"{self.metric} {self.comparison} {self.threshold:g} per {self.period} in {self.environment}"  # fmt: skip

    @property
    def label(self) -> str:
        """`Change lead time (median) < 1 day, each week`; `Deploy days >= 3 a week, over 30 days`."""
        target = " ".join(self.target.split())
        if GOAL_METRICS[self.metric] == "per_week":
            target = f"{self.comparison} {self.threshold:g} a week"
        period = "each week" if self.period == "week" else "over 30 days"
        where = "" if self.environment == "production" else f" in {self.environment}"
        return f"{GOAL_LABELS[self.metric]} {target}, {period}{where}"


class LevelSettings(_Section):
    """Levels used for crossings, goals and alerts: over a rolling window, and only with enough data."""

    window_days: int = Field(30, ge=7, le=366)
    min_counted_deployments: int = Field(5, ge=1)
