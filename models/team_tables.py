"""`[[teams]]`, `[[goals]]` and `[levels]` into `cfg.*` tables, for the team and goal models."""

from __future__ import annotations

import duckdb
import pandas as pd

from settings.config import Settings

_TYPES = {
    "teams": "team varchar, team_order integer, recipients varchar[]",
    "team_repo_patterns": "team varchar, repo_glob varchar, repo_regex varchar",
    "team_services": "team varchar, service varchar",
    "goals": """goal_id varchar, goal_order integer, team varchar, environment varchar,
        metric varchar, comparison varchar, threshold double, period varchar,
        period_days integer, label varchar""",
    "level_rules": "window_days integer, min_counted_deployments integer",
}


def team_frames(settings: Settings) -> dict[str, pd.DataFrame]:
    """The config tables as DataFrames, one per `cfg.<name>`."""
    from models.settings_tables import glob_to_regex  # (it imports this module)

    teams = settings.teams
    frames = {
        "teams": pd.DataFrame(
            [
                {"team": t.name, "team_order": i, "recipients": t.recipients}
                for i, t in enumerate(teams)
            ]  # fmt: skip
        ),
        "team_repo_patterns": pd.DataFrame(
            [
                {"team": t.name, "repo_glob": glob, "repo_regex": glob_to_regex(glob)}
                for t in teams
                for glob in t.repos
            ]
        ),
        "team_services": pd.DataFrame(
            [{"team": t.name, "service": service} for t in teams for service in t.services]
        ),
        "goals": pd.DataFrame(
            [
                {
                    "goal_id": goal.goal_id,
                    "goal_order": i,
                    "team": goal.team,
                    "environment": goal.environment,
                    "metric": goal.metric,
                    "comparison": goal.comparison,
                    "threshold": goal.threshold,
                    "period": goal.period,
                    "period_days": goal.period_days,
                    "label": goal.label,
                }
                for i, goal in enumerate(settings.goals)
            ]
        ),
        "level_rules": pd.DataFrame(
            [
                {
                    "window_days": settings.levels.window_days,
                    "min_counted_deployments": settings.levels.min_counted_deployments,
                }
            ]
        ),
    }
    return frames


def write_team_tables(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Replace `cfg.teams`, `cfg.team_repo_patterns`, `cfg.team_services`, `cfg.goals`,
    `cfg.level_rules` with the settings in effect for this build."""
    from models.settings_tables import write_cfg_tables

    write_cfg_tables(con, team_frames(settings), _TYPES)
