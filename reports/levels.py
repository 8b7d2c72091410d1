"""DORA level crossings: production levels of one week against the week before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from models.levels import LEVEL_MACRO, METRICS
from reports.snapshot import rows as _rows
from settings.metrics_catalogue import label_of_level_key


@dataclass(frozen=True)
class LevelCrossing:
    """A production DORA level that moved between the previous week and this one."""

    repo: str
    service: str
    metric: str
    previous_level: str
    level: str
    improved: bool


def level_crossings(
    con: duckdb.DuckDBPyConnection, week_start: date, edition: str | None
) -> list[LevelCrossing]:
    """Production levels of this week against the previous week, banded by `dora_level`.

    A week is banded on its own `dora_weekly` figures; the monthly deployment-frequency band looks
    at the deploy days of the four weeks ending that week. A week without data has no level.
    """
    previous = week_start - timedelta(days=7)
    metrics = ", ".join(f"('{metric}')" for metric in METRICS)
    rows = _rows(
        con,
        LEVEL_MACRO
        + f"""
        with weekly as (
            select repo, service, cast(week_start as date) as week_start, deployments,
                   change_failures, deploy_days, lead_time_p50_seconds, change_fail_rate,
                   recovery_p50_seconds,
                   sum(deploy_days) over (
                       partition by repo, service order by cast(week_start as date)
                       range between interval 21 day preceding and current row
                   ) as deploy_days_4w
            from dora_weekly
            where environment = 'production'
        ),
        levelled as (
            select w.repo, w.service, w.week_start, m.metric,
                   dora_level('dora_levels', ?, m.metric, {{
                       -- a week without a counted attempt has no frequency level
                       deploy_days_per_week_p50:
                           if(w.deployments + w.change_failures > 0, w.deploy_days, null),
                       deploy_days_per_month_p50: w.deploy_days_4w,
                       deploy_days: w.deploy_days_4w,
                       lead_time_p50_seconds: w.lead_time_p50_seconds,
                       change_fail_rate: w.change_fail_rate,
                       recovery_p50_seconds: w.recovery_p50_seconds,
                   }}) as level
            from weekly as w
            cross join (values {metrics}) as m (metric)
            where w.week_start in (?, ?)
        ),
        levels as (
            select levelled.*, bands.level_rank
            from levelled
            join dora_levels as bands
                on cast(bands.edition as varchar) = ? and bands.metric = levelled.metric
                and bands.level = levelled.level
        )
        select now.repo, now.service, now.metric, before.level as previous_level,
               now.level, now.level_rank < before.level_rank as improved
        from levels as now
        join levels as before
            on before.repo = now.repo and before.service = now.service
            and before.metric = now.metric and before.week_start = ?
        where now.week_start = ? and now.level_rank <> before.level_rank
        order by now.repo, now.service,
                 list_position([{", ".join(f"'{metric}'" for metric in METRICS)}], now.metric)
        """,
        [edition or "2023", week_start, previous, edition or "2023", previous, week_start],
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
