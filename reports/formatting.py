"""How one figure reads in the email: durations, rates, changes against last week, trends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from settings.metrics_catalogue import CATALOGUE

NO_DATA = "no data"
MINUS = "\u2212"


def duration(seconds: float | None) -> str:
    """45 min, 3.2 h, 2.5 d; NULL is "no data", never zero."""
    if seconds is None:
        return NO_DATA
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def rate(value: float | None) -> str:
    return NO_DATA if value is None else f"{value * 100:.1f}%"


def count(value: int | None) -> str:
    return NO_DATA if value is None else str(int(value))


def _signed(diff: float, text: str) -> str:
    if diff == 0:
        return "\u00b10"
    return ("+" if diff > 0 else MINUS) + text


@dataclass(frozen=True)
class Metric:
    """One of the five metrics as the email shows it."""

    label: str
    field: str
    show: Callable[[float | None], str]
    higher_is_better: bool
    unit_of_change: str  # "count", "duration" or "rate"

    def delta(self, current: float | None, previous: float | None) -> str:
        """The change against last week, in the metric's unit ('' when either week has no data)."""
        if current is None or previous is None:
            return ""
        diff = current - previous
        if self.unit_of_change == "count":
            return _signed(diff, f"{abs(diff):.0f}")
        if self.unit_of_change == "rate":
            return _signed(round(diff * 100, 1), f"{abs(diff) * 100:.1f} pp")
        return _signed(round(diff), duration(abs(diff)))

    def verdict(self, current: float | None, previous: float | None) -> int:
        """+1 better, -1 worse, 0 same or not comparable."""
        if current is None or previous is None or current == previous:
            return 0
        better = current > previous if self.higher_is_better else current < previous
        return 1 if better else -1


# A week's value of each catalogue metric: deployments per week are that week's deployments.
_SHOW = {"per_week": count, "duration": duration, "rate": rate}
_CHANGE = {"per_week": "count", "duration": "duration", "rate": "rate"}
METRICS: list[Metric] = [
    Metric(m.label, m.weekly_column, _SHOW[m.unit], m.higher_is_better, _CHANGE[m.unit])
    for m in CATALOGUE
]


def goal_value(metric: str, value: float | None) -> str:
    """A goal's measured value the way its target reads (frequency and deploy days per week)."""
    from settings.teams import GOAL_METRICS

    unit = GOAL_METRICS[metric]
    if unit == "duration":
        return duration(value)
    if unit == "rate":
        return rate(value)
    return NO_DATA if value is None else f"{value:g} a week"


def goal_line(goal: dict) -> str:
    """`met · Web · Change fail rate <= 15%, over 30 days: 12.5% (3 periods in a row)`."""
    streak = goal["streak"]
    value = "" if goal["status"] == "no data" else f": {goal_value(goal['metric'], goal['value'])}"
    why = f" ({goal['no_data_reason']})" if goal.get("no_data_reason") else ""
    return (
        f"{goal['status']} · {goal['team']} · {goal['goal']}{value}{why}, "
        f"{streak} period{'' if streak == 1 else 's'} in a row"
    )


def trend(values: list[float | None], show: Callable[[float | None], str]) -> str:
    """Oldest to newest, e.g. `3 · 5 · 2 · 6`; a week without data is `–`."""
    return " \u00b7 ".join("\u2013" if value is None else show(value) for value in values)


def week_label(week_start: date) -> str:
    """`2026-W47 (16–22 Nov 2026)`."""
    year, number, _ = week_start.isocalendar()
    sunday = week_start + timedelta(days=6)
    return f"{year}-W{number:02d} ({week_start:%d %b} \u2013 {sunday:%d %b %Y})"


def timestamp(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def short_sha(sha: str | None) -> str:
    return (sha or "")[:7]


def reasons(value: str | None) -> str:
    """`deploy_failed,incident` -> `deploy failed, incident`."""
    return ", ".join(part.strip().replace("_", " ") for part in (value or "").split(",") if part)
