"""DORA level crossings: production levels as of one week's end against the week before's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from models.levels import LEVEL_MACRO, METRICS
from models.period import PERIOD_MACRO
from reports.snapshot import rows as _rows


@dataclass(frozen=True)
class LevelCrossing:
    """A production DORA level that moved between the previous week and this one."""

    repo: str
    service: str
    metric: str
    previous_level: str
    level: str
    improved: bool


_METRIC_NAMES = {
    "deployment_frequency": "deployment frequency",
    "lead_time": "change lead time",
    "change_fail_rate": "change fail rate",
    "recovery": "failed deployment recovery time",
}


def level_crossings(
    con: duckdb.DuckDBPyConnection,
    week_start: date,
    edition: str | None,
    window_days: int | None = None,
) -> list[LevelCrossing]:
    """Production levels as of this week's end against those as of the week before's end.

    Levels are banded over a window, as `dora_summary` bands them: each side is the snapshot's
    summary window (`window_days`, 90 by default) ending at that week's end, measured by the
    build's `dora_period` macro and banded by its `dora_level`. A side without data has no level,
    so it makes no crossing.
    """
    days = window_days or 90
    ends = {"now": week_start + timedelta(days=7), "before": week_start}
    sides = "\n            union all by name\n".join(
        f"""            select '{side}' as side, * from dora_period(
                'deployments', 'changes', cast(? as timestamp) - to_days(?),
                cast(? as timestamp), null, null, 'production', true
            )"""
        for side in ends
    )
    metrics = ", ".join(f"('{metric}')" for metric in METRICS)
    rows = _rows(
        con,
        PERIOD_MACRO
        + LEVEL_MACRO
        + f"""
        with figures as (
{sides}
        ),
        levelled as (
            select f.repo, f.service, f.side, m.metric,
                   dora_level('dora_levels', ?, m.metric, {{
                       deploy_days_per_week_p50: f.deploy_days_per_week_p50,
                       deploy_days_per_month_p50: f.deploy_days_per_month_p50,
                       deploy_days: f.deploy_days,
                       lead_time_p50_seconds: f.lead_time_p50_seconds,
                       change_fail_rate: f.change_fail_rate,
                       recovery_p50_seconds: f.recovery_p50_seconds,
                   }}) as level
            from figures as f
            cross join (values {metrics}) as m (metric)
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
            and before.metric = now.metric and before.side = 'before'
        where now.side = 'now' and now.level_rank <> before.level_rank
        order by now.repo, now.service,
                 list_position([{", ".join(f"'{metric}'" for metric in METRICS)}], now.metric)
        """,
        [
            *(value for end in ends.values() for value in (end, days, end)),
            edition or "2023",
            edition or "2023",
        ],
    )
    return [
        LevelCrossing(
            repo=row["repo"],
            service=row["service"],
            metric=_METRIC_NAMES.get(row["metric"], row["metric"]),
            previous_level=row["previous_level"],
            level=row["level"],
            improved=bool(row["improved"]),
        )
        for row in rows
    ]
