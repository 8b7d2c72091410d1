"""DORA level crossings: production levels at one week's end against the week before's.

The levels are the snapshot's `rolling_levels`: each scope banded over a rolling window (30
days by default) and only with enough counted deployments in it (5 by default), so one bad week
of a steady service is no crossing, and a level without enough data crosses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from reports.snapshot import rows as _rows
from settings.metrics_catalogue import LEVELLED, label_of_level_key


@dataclass(frozen=True)
class LevelCrossing:
    """A production DORA level that moved between the previous week's end and this one's."""

    repo: str
    service: str
    metric: str
    previous_level: str
    level: str
    improved: bool


def level_crossings(
    con: duckdb.DuckDBPyConnection, week_start: date, team: str | None = None
) -> list[LevelCrossing]:
    """Scopes whose rolling level at this week's end differs from the one at its start.

    Both sides must be banded ("not enough data" and "no data" cross nothing); with `team`,
    only that team's scopes (`team_scopes`).
    """
    metrics = ", ".join(f"'{metric}'" for metric in LEVELLED)
    rows = _rows(
        con,
        f"""
        with levels as (
            select repo, service, metric, evaluated_at, level, level_rank
            from rolling_levels
            where unit_kind = 'service' and state = 'banded'
              and evaluated_at in (cast(? as timestamp), cast(? as timestamp))
              and (cast(? as varchar) is null or exists (
                  select 1 from team_scopes as owned
                  where owned.team = cast(? as varchar) and owned.repo = rolling_levels.repo
                    and owned.service = rolling_levels.service
              ))
        )
        select now.repo, now.service, now.metric, before.level as previous_level, now.level,
               now.level_rank < before.level_rank as improved
        from levels as now
        join levels as before
            on before.repo = now.repo and before.service = now.service
            and before.metric = now.metric and before.evaluated_at = cast(? as timestamp)
        where now.evaluated_at = cast(? as timestamp) and now.level_rank <> before.level_rank
        order by now.repo, now.service, list_position([{metrics}], now.metric)
        """,
        [
            week_start,
            week_start + timedelta(days=7),
            team,
            team,
            week_start,
            week_start + timedelta(days=7),
        ],  # fmt: skip
    )
    return [
        LevelCrossing(
            repo=row["repo"],
            service=row["service"],
            metric=label_of_level_key(row["metric"]),
            previous_level=row["previous_level"],
            level=row["level"],
            improved=bool(row["improved"]),
        )
        for row in rows
    ]
