"""Queries behind the Teams page and the goals on Overview: read from the snapshot's team marts."""

from __future__ import annotations

import pandas as pd

from dashboard import data, formats
from dashboard.scope import Scope
from dashboard.snapshot import query
from settings.metrics_catalogue import BY_KEY

ORGANISATION = "Organisation"
_SHOW = {"per_week": formats.number, "duration": formats.duration, "rate": formats.percent}


def goal_value(metric: str, value: float | None) -> str:
    """A goal's measured value the way its target reads (deploy days per week are per week)."""
    unit = BY_KEY[metric].unit if metric in BY_KEY else "per_week"
    return _SHOW[unit](value)


def latest_goals(team: str | None = None) -> pd.DataFrame:
    """Each goal's status in its latest complete period, per team (one team, or all)."""
    frame = query(
        """
        select team, goal, metric, period, period_start, period_end, status, value, streak,
               no_data_reason, counted_deployments
        from goal_status
        where is_latest and ($team::varchar is null or team = $team)
        order by goal_order, team
        """,
        team=team,
    )
    frame["value_text"] = [goal_value(m, v) for m, v in zip(frame["metric"], frame["value"], strict=True)]  # fmt: skip
    return frame


def goal_history(team: str | None = None) -> pd.DataFrame:
    """Every period of every goal (status per period, for the Teams page's history)."""
    return query(
        """
        select team, goal, period_end, status
        from goal_status
        where $team::varchar is null or team = $team
        order by goal_order, team, period_end
        """,
        team=team,
    )


def levels_now() -> pd.DataFrame:
    """Each team's and the organisation's rolling production levels at the snapshot's as_of."""
    return query(
        """
        select case unit_kind when 'organisation' then 'Organisation' else unit end as team,
               metric, state, level, counted_deployments, window_days
        from rolling_levels
        where is_latest and unit_kind in ('team', 'organisation')
        """
    )


def comparison(scope: Scope, teams: list[str]) -> pd.DataFrame:
    """One row per team (and the organisation): the period's five metrics and their DORA levels.

    Each row is `data.period_summary` of the scope narrowed to that team, banded by `data.levels`:
    the same numbers Overview shows with the Team filter set.
    """
    rows = []
    for team in [*teams, None]:
        narrowed = scope.of_team(team)
        summary = data.period_summary(narrowed).iloc[0]
        levels = data.levels(summary, scope.edition) if scope.environment == "production" else {}
        rows.append({"team": team or ORGANISATION, **summary.to_dict(), **{f"{m}_level": level for m, level in levels.items()}})  # fmt: skip
    return pd.DataFrame(rows)


def trends(scope: Scope, teams: list[str]) -> pd.DataFrame:
    """`data.trend` of each team, one frame with a `team` column."""
    frames = [data.trend(scope.of_team(team)).assign(team=team) for team in teams]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def goals_table(goals: pd.DataFrame) -> pd.DataFrame:
    """Latest goal statuses as a person reads them: status, value, streak, period, why no data."""
    return pd.DataFrame(
        {
            "team": goals["team"],
            "goal": goals["goal"],
            "status": goals["status"],
            "value": goals["value_text"],
            "streak": [
                f"{n} period{'s' if n != 1 else ''} {s}"
                for n, s in zip(goals["streak"], goals["status"], strict=True)
            ],  # fmt: skip
            "period": [
                f"{start:%d %b} – {end - pd.Timedelta(days=1):%d %b %Y}"
                for start, end in zip(goals["period_start"], goals["period_end"], strict=True)
            ],  # fmt: skip
            "why no data": goals["no_data_reason"].fillna(""),
        }
    )
