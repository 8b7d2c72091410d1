"""The weekly email of one team: the organisation's figures narrowed to the team's scopes, and
every goal's status. Each team with recipients gets its own; `email.recipients` the whole."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from reports.figures import WeeklyFigures
from reports.levels import level_crossings
from reports.snapshot import open_snapshot
from reports.snapshot import rows as _rows
from reports.snapshot import tables as _tables


def goals(db: Path, team: str | None = None) -> list[dict[str, Any]]:
    """Each goal's latest complete period: status, value, streak (one team's, or every team's)."""
    with open_snapshot(db) as con:
        if "goal_status" not in _tables(con):
            return []
        return _rows(
            con,
            """
            select team, goal, metric, status, value, streak, no_data_reason, period_start,
                   period_end
            from goal_status
            where is_latest and (cast(? as varchar) is null or team = cast(? as varchar))
            order by goal_order, team
            """,
            [team, team],
        )


def teams_with_recipients(db: Path) -> list[tuple[str, list[str]]]:
    """(team, recipients) of every team that has recipients, in the config's order."""
    with open_snapshot(db) as con:
        if "teams" not in _tables(con):
            return []
        found = con.execute(
            "select team, recipients from teams where len(recipients) > 0 order by team_order"
        ).fetchall()
    return [(team, list(recipients)) for team, recipients in found]


def for_team(db: Path, figures: WeeklyFigures, team: str) -> WeeklyFigures:
    """The week's figures of the team's scopes only (a scope shared with another team included)."""
    with open_snapshot(db) as con:
        owned = {
            (repo, service)
            for repo, service in con.execute(
                "select repo, service from team_scopes where team = ?", [team]
            ).fetchall()
        }
        crossings = level_crossings(con, figures.week_start, team)

    def mine(row: Any) -> bool:
        key = (row.repo, row.service) if hasattr(row, "repo") else (row["repo"], row["service"])
        return key in owned

    stuck = [p for p in figures.stuck_promotions if mine(p)]
    return replace(
        figures,
        team=team,
        scopes=[s for s in figures.scopes if mine(s)],
        level_crossings=crossings,
        change_failures=[f for f in figures.change_failures if mine(f)],
        slowest_changes=[c for c in figures.slowest_changes if mine(c)],
        stuck_promotions=stuck,
        stuck_promotions_total=len(stuck),
        manual_deployments=[d for d in figures.manual_deployments if mine(d)],
        orchestration=figures.orchestration
        if figures.orchestration and any(repo == figures.orchestration["repo"] for repo, _ in owned)
        else None,
        goals=goals(db, team),
    )


def file_stem(week: str, team: str | None) -> str:
    """`2026-11-16` or `2026-11-16-web-team`: a preview's file name, safe whatever the name."""
    if not team:
        return week
    slug = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-") or "team"
    return f"{week}-{slug}"
