"""The five DORA metrics, defined once: name, label, unit, which way is better, level key, columns.

Every layer reads this list: the level banding (`models.levels`), the weekly email
(`reports.formatting`, `reports.levels`), the dashboard's tiles and the Teams page, goals and
alerts. A label or a direction changed here changes everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["per_week", "duration", "rate"]


@dataclass(frozen=True)
class MetricDefinition:
    """One DORA metric as every reader names, shows and compares it."""

    key: str  # stable name: goals in dora.toml, alert keys, `metric` columns of the marts
    label: str  # what a person reads, on every screen and in every message
    unit: Unit
    higher_is_better: bool
    level_key: str | None  # the metric in `dora_levels`; None: DORA gives it no bands
    period_column: str  # its headline column in a period's figures (dora_summary, dashboard)
    weekly_column: str  # its column in `dora_weekly` (the email's week-by-week figures)
    description: str  # one line: what the number is made of

    def is_better(self, current: float, previous: float) -> bool | None:
        """True when `current` is better than `previous`, False when worse, None when equal."""
        if current == previous:
            return None
        return (current > previous) == self.higher_is_better


CATALOGUE: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        key="deployment_frequency",
        label="Deployment frequency",
        unit="per_week",
        higher_is_better=True,
        level_key="deployment_frequency",
        period_column="deploys_per_week",
        weekly_column="deployments",
        description="successful counted deployments per week; level from deploy days per week",
    ),
    MetricDefinition(
        key="lead_time",
        label="Change lead time (median)",
        unit="duration",
        higher_is_better=False,
        level_key="lead_time",
        period_column="lead_time_p50_seconds",
        weekly_column="lead_time_p50_seconds",
        description="median time from a change's first commit to its production deployment",
    ),
    MetricDefinition(
        key="change_fail_rate",
        label="Change fail rate",
        unit="rate",
        higher_is_better=False,
        level_key="change_fail_rate",
        period_column="change_fail_rate",
        weekly_column="change_fail_rate",
        description="change failures / counted deployments",
    ),
    MetricDefinition(
        key="recovery",
        label="Recovery time (median)",
        unit="duration",
        higher_is_better=False,
        level_key="recovery",
        period_column="recovery_p50_seconds",
        weekly_column="recovery_p50_seconds",
        description="median time from a change failure's start to its restoration",
    ),
    MetricDefinition(
        key="rework_rate",
        label="Rework rate",
        unit="rate",
        higher_is_better=False,
        level_key=None,
        period_column="rework_rate",
        weekly_column="rework_rate",
        description="rollbacks, reverts, hotfixes and restoring deployments / deployments",
    ),
)

BY_KEY: dict[str, MetricDefinition] = {metric.key: metric for metric in CATALOGUE}
# The metrics DORA bands into levels, in catalogue order (`dora_levels.metric`).
LEVELLED: tuple[str, ...] = tuple(m.level_key for m in CATALOGUE if m.level_key)


def metric(key: str) -> MetricDefinition:
    """The definition of `key`; a KeyError names the keys that exist."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown metric {key!r}; expected one of {', '.join(BY_KEY)}") from None


def label_of_level_key(level_key: str) -> str:
    """The label of the metric banded as `level_key` in `dora_levels`."""
    return next(m.label for m in CATALOGUE if m.level_key == level_key)
