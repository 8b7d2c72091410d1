"""Teams: every team side by side on the five metrics, with DORA levels, trends and goals."""

import pandas as pd
import streamlit as st

from dashboard import charts, data, filters, formats, team_data
from dashboard.downloads import table
from dashboard.vega import show
from settings.metrics_catalogue import CATALOGUE

_SHOW = {"per_week": lambda v: f"{formats.number(v)} / week", "duration": formats.duration, "rate": formats.percent}  # fmt: skip
# (trend column of data.trend, axis title, axis format) per catalogue metric
_TRENDS = {
    "deployment_frequency": ("deployments", "deployments per period", ",d"),
    "lead_time": ("lead_time_p50_hours", "lead time p50 (hours)", ",.1f"),
    "change_fail_rate": ("change_fail_rate", "change fail rate (%)", ".0%"),
    "recovery": ("recovery_p50_hours", "recovery p50 (hours)", ",.1f"),
    "rework_rate": ("rework_rate", "rework rate (%)", ".0%"),
}


def _escaped(text: str) -> str:
    """Markdown shows a team's name as written: no markup, links or HTML from the config."""
    return "".join(f"\\{char}" if char in "\\`*_{}[]()#+-.!<>|~$\"'" else char for char in text)


def _cell(row: pd.Series, metric) -> str:
    """`3.2 / week · elite`: the period's value and, for production, its DORA level."""
    value = _SHOW[metric.unit](row[metric.period_column])
    level = row.get(f"{metric.level_key}_level") if metric.level_key else None
    return f"{value} · {level}" if isinstance(level, str) else value


def _side_by_side(compared: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            "team": compared["team"],
            **{m.label: [_cell(row, m) for _, row in compared.iterrows()] for m in CATALOGUE},
            "counted deployments": compared["counted_deployments"],
        }
    )
    table(shown, "teams_side_by_side")


def _levels_now(teams: list[str]) -> None:
    now = team_data.levels_now()
    if now.empty:
        return
    window = int(now["window_days"].iloc[0])
    st.subheader(f"DORA levels now (last {window} days, production)")
    st.caption("The levels goals, alerts and the weekly email use: over a rolling window, and only with enough counted deployments (else *not enough data*).")  # fmt: skip
    labels = {m.level_key: m.label for m in CATALOGUE if m.level_key}
    now["shown"] = [level if state == "banded" else state for level, state in zip(now["level"], now["state"], strict=True)]  # fmt: skip
    wide = now.pivot_table(index="team", columns="metric", values="shown", aggfunc="first")
    wide = wide.reindex([t for t in [*teams, team_data.ORGANISATION] if t in wide.index])
    wide = wide[[k for k in labels if k in wide.columns]].rename(columns=labels).reset_index()
    table(wide, "team_levels_now")


def _goals(teams: list[str]) -> None:
    st.subheader("Goals")
    goals = team_data.latest_goals()
    if goals.empty:
        st.caption("No goals: add `[[goals]]` to dora.toml (a metric, a target, per week or 30 days).")  # fmt: skip
        return
    table(team_data.goals_table(goals[goals["team"].isin([*teams, "organisation"])]), "goal_status")
    st.caption("The latest complete period of each goal. Never *met* without data: fewer counted deployments than the minimum, or nothing to measure, is *no data*.")  # fmt: skip


def render() -> None:
    scope = filters.sidebar()
    st.title("Teams")
    st.caption(filters.describe(scope) + f" · levels: DORA {scope.edition} (production only)")
    teams = list(dict.fromkeys(data.teams()["team"]))
    if not teams:
        st.info("No teams yet: add `[[teams]]` to dora.toml (or `teams_from_github = true`), then `dora build`.")  # fmt: skip
        return
    if scope.team:
        teams = [scope.team]
    owned = data.team_scopes()
    repos = {
        team: ", ".join(sorted(set(owned.loc[owned["team"] == team, "repo"]))) for team in teams
    }
    st.markdown(" · ".join(f"**{_escaped(t)}**: {_escaped(repos[t] or 'no repositories')}" for t in teams))  # fmt: skip
    compared = team_data.comparison(scope.of_team(None), teams)
    st.subheader("Side by side")
    st.caption("The selected period's figures of each team's scopes (a scope in two teams counts for both; the organisation counts it once), with the DORA level of those figures in production.")  # fmt: skip
    _side_by_side(compared)
    trends = team_data.trends(scope.of_team(None), teams)
    st.subheader("Trends")
    left, right = st.columns(2)
    for i, metric in enumerate(CATALOGUE):
        column, unit, fmt = _TRENDS[metric.key]
        with left if i % 2 == 0 else right:
            st.markdown(f"**{metric.label}**")
            show(charts.team_trend(trends, column, unit, scope.grain, fmt))
    _levels_now(teams)
    _goals(teams)
    st.subheader("Membership")
    table(data.team_scopes()[lambda f: f["team"].isin(teams)], "team_scopes")


filters.guarded(render)
