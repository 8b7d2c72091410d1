"""Overview: the five DORA metrics for the scope, each with level, change and a small trend."""

from collections.abc import Callable
from typing import NamedTuple

import pandas as pd
import streamlit as st

from dashboard import charts, data, filters, formats, team_data
from dashboard.downloads import table
from dashboard.vega import show
from settings.metrics_catalogue import CATALOGUE, MetricDefinition

SUMMARY_COLUMNS = {
    "deploys_per_week": st.column_config.NumberColumn("deploys / week", format="%.1f"),
    "lead_time_p50_hours": st.column_config.NumberColumn("lead time p50 (h)", format="%.1f"),
    "change_fail_rate": st.column_config.NumberColumn("change fail rate", format="percent"),
    "recovery_p50_hours": st.column_config.NumberColumn("recovery p50 (h)", format="%.1f"),
    "rework_rate": st.column_config.NumberColumn("rework rate", format="percent"),
}
LEVEL_BADGES = {"elite": "green", "high": "blue", "medium": "orange", "low": "red"}


class Tile(NamedTuple):
    metric: MetricDefinition  # label, headline column, level key and better direction
    render: Callable[[float], str]
    trend: str  # the column of `data.trend` drawn under the tile
    trend_name: str
    trend_render: Callable[[float], str]  # a period's value in the trend's tooltip

    @property
    def label(self) -> str:
        return self.metric.label


def _per_week(value: float) -> str:
    return f"{formats.number(value)} / week" if not pd.isna(value) else formats.NO_DATA


_RENDER = {"per_week": _per_week, "duration": formats.duration, "rate": formats.percent}
_RENDER_CHANGE = {"per_week": formats.number, "duration": formats.duration, "rate": formats.percent}
# the trend under each tile: deployments per period, the others as they are
_TREND = {"deployment_frequency": ("deployments", "deployments", formats.count)}
TILES = [
    Tile(m, _RENDER[m.unit], *_TREND.get(m.key, (m.period_column, m.label, _RENDER[m.unit])))
    for m in CATALOGUE
]


class Delta(NamedTuple):
    """How `st.metric` shows a change: text with an ASCII sign, arrow and colour."""

    text: str | None
    arrow: str  # "auto" (from the sign) or "off" (no change)
    color: str  # "normal" (up is good), "inverse" (down is good) or "off"


def delta(tile: Tile, current: float, previous: float) -> Delta:
    """The change against the previous period; the catalogue says which way is better.

    st.metric reads the direction from the text's first character: a Unicode minus reads as a
    rise, so the sign is an ASCII "-". A change too small to show (or none) has no arrow.
    """
    if pd.isna(current) or pd.isna(previous):
        return Delta(None, "auto", "normal")
    change = float(current) - float(previous)
    shown = _RENDER_CHANGE[tile.metric.unit](abs(change))
    if change == 0 or shown == _RENDER_CHANGE[tile.metric.unit](0.0):
        return Delta("no change vs prev.", "off", "off")
    sign = "+" if change > 0 else "-"
    return Delta(f"{sign}{shown} vs prev.", "auto", "normal" if tile.metric.higher_is_better else "inverse")  # fmt: skip


def _explained(now: pd.Series) -> dict[str, str]:
    """Each tile's help: what the number is made of in this period."""
    return {
        "deployment_frequency": f"Successful counted deployments per week ({formats.count(now['deployments'])} in the period, {formats.count(now['deploy_days'])} deploy days). Level from the median deploy days per week.",  # fmt: skip
        "lead_time": f"Median first commit → deployed over {formats.count(now['changes'])} changes; p90 {formats.duration(now['lead_time_p90_seconds'])}.",  # fmt: skip
        "change_fail_rate": f"{formats.count(now['change_failures'])} change failures / {formats.count(now['counted_deployments'])} counted deployments.",  # fmt: skip
        "recovery": f"Failure start → restored; {formats.count(now['open_failures'])} failure(s) still open.",  # fmt: skip
        "rework_rate": "Rollbacks, reverts, hotfixes and restoring deployments / successful counted deployments. DORA gives no bands.",  # fmt: skip
    }


def _scorecard(now: pd.Series, before: pd.Series, trend: pd.DataFrame, levels: dict) -> None:
    """The five tiles (value, change, DORA level) over one row of their small trends."""
    explained = _explained(now)
    with st.container(border=True):
        for column, tile in zip(st.columns(len(TILES)), TILES, strict=True):
            value = now[tile.metric.period_column]
            change = delta(tile, value, before[tile.metric.period_column])
            with column:
                st.metric(
                    tile.label,
                    tile.render(value),
                    delta=change.text,
                    delta_color=change.color,
                    delta_arrow=change.arrow,
                    help=explained[tile.metric.key],
                )
                level = levels.get(tile.metric.level_key) if tile.metric.level_key else None
                if level is not None or pd.isna(value):
                    name = level or "no data"
                    st.badge(f"DORA level: {name}", color=LEVEL_BADGES.get(name, "gray"))
        # One chart under the row, not one per tile: every chart on a page costs the browser
        # 20-40 ms per rerun, and one Vega view draws five lines for about the price of one.
        show(charts.sparkline_row(trend, [(t.trend, t.trend_name, t.trend_render) for t in TILES]))


def render() -> None:
    scope = filters.sidebar()
    st.title("Overview")
    st.caption(filters.describe(scope) + f" · levels: DORA {scope.edition} (production only)")
    scopes = data.scopes()
    if scope.repo and scopes[scopes["repo"] == scope.repo]["environment"].dropna().empty:
        st.info(f"**{scope.repo}** has no deployments in the snapshot yet: nothing to measure.")
        return
    now = data.period_summary(scope).iloc[0]
    before = data.period_summary(scope.previous()).iloc[0]
    # Notices fill fixed slots, so a filter change never shifts the elements after them: a
    # shifted chart is a new chart to the browser (a new Vega view), not a swap of its data.
    no_data_notice = st.empty()
    if now["counted_deployments"] == 0:
        no_data_notice.info("No finished deployments in this scope and period. Widen the period or change the filters.")  # fmt: skip
    # Levels apply to production only (METRICS.md section 4).
    banded = scope.environment == "production"
    _scorecard(now, before, data.trend(scope), data.levels(now, scope.edition) if banded else {})
    levels_notice = st.empty()
    if not banded:
        levels_notice.caption("DORA levels are shown for the production environment only.")
    st.caption("Trends with axes: the **Lead time** and **Stability** pages; deployments day by day: **Deployments**.")  # fmt: skip

    goals = team_data.latest_goals(scope.team)
    if not goals.empty:
        st.subheader("Goals")
        st.caption("Each goal's latest complete period: met, missed, or no data (never met without data), and for how many periods in a row. Teams side by side: **Teams**.")  # fmt: skip
        table(team_data.goals_table(goals), "goal_status")

    st.subheader("Per service, as built")
    summary = data.summary_by_scope()
    st.caption("The `dora_summary` mart over the snapshot's own window, with its built levels.")
    table(summary, "dora_summary", SUMMARY_COLUMNS)


filters.guarded(render)
