"""DORA level crossings: production levels of one week against the week before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

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
    con: duckdb.DuckDBPyConnection, week_start: date, edition: str | None
) -> list[LevelCrossing]:
    """Production levels of this week against the previous week, banded by `dora_levels`.

    A week is banded on its own `dora_weekly` figures; the monthly deployment-frequency band looks
    at the deploy days of the four weeks ending that week. A week without data has no level.
    """
    previous = week_start - timedelta(days=7)
    rows = _rows(
        con,
        """
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
        banded as (
            select w.repo, w.service, w.week_start, b.metric, b.level, b.level_rank,
                   b.comparison, b.threshold,
                   case b.measure
                       when 'deploy_days_per_week_p50' then w.deploy_days
                       when 'deploy_days_per_month_p50' then w.deploy_days_4w
                       when 'deploy_days' then w.deploy_days_4w
                       when 'lead_time_p50_seconds' then w.lead_time_p50_seconds
                       when 'change_fail_rate' then w.change_fail_rate
                       when 'recovery_p50_seconds' then w.recovery_p50_seconds
                   end as measure_value
            from weekly as w
            join dora_levels as b on cast(b.edition as varchar) = ?
            where w.week_start in (?, ?)
              and case b.metric
                  when 'deployment_frequency' then w.deployments + w.change_failures > 0
                  when 'lead_time' then w.lead_time_p50_seconds is not null
                  when 'change_fail_rate' then w.change_fail_rate is not null
                  when 'recovery' then w.recovery_p50_seconds is not null
              end
        ),
        levels as (
            select repo, service, week_start, metric,
                   arg_min(level, level_rank) as level, min(level_rank) as level_rank
            from banded
            where case comparison
                when 'always' then true
                when '>=' then measure_value >= threshold
                when '>' then measure_value > threshold
                when '<=' then measure_value <= threshold
                when '<' then measure_value < threshold
            end
            group by all
        )
        select now.repo, now.service, now.metric, before.level as previous_level,
               now.level, now.level_rank < before.level_rank as improved
        from levels as now
        join levels as before
            on before.repo = now.repo and before.service = now.service
            and before.metric = now.metric and before.week_start = ?
        where now.week_start = ? and now.level_rank <> before.level_rank
        order by now.repo, now.service,
                 list_position(['deployment_frequency', 'lead_time', 'change_fail_rate',
                                'recovery'], now.metric)
        """,
        [edition or "2023", week_start, previous, previous, week_start],
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
