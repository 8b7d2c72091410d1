"""Overview: the five DORA metrics for the scope, each with level, change and a small trend."""

from collections.abc import Callable
from typing import NamedTuple

import pandas as pd
import streamlit as st

from dashboard import charts, data, filters, formats
from dashboard.downloads import table
from dashboard.vega import show

SUMMARY_COLUMNS = {
    "deploys_per_week": st.column_config.NumberColumn("deploys / week", format="%.1f"),
    "lead_time_p50_hours": st.column_config.NumberColumn("lead time p50 (h)", format="%.1f"),
    "change_fail_rate": st.column_config.NumberColumn("change fail rate", format="percent"),
    "recovery_p50_hours": st.column_config.NumberColumn("recovery p50 (h)", format="%.1f"),
    "rework_rate": st.column_config.NumberColumn("rework rate", format="percent"),
}
LEVEL_BADGES = {"elite": "green", "high": "blue", "medium": "orange", "low": "red"}


class Tile(NamedTuple):
    label: str
    column: str  # of `data.period_summary`
    render: Callable[[float], str]
    level: str | None  # the metric's name in `data.levels`; None: DORA gives it no bands
    lower_is_better: bool
    trend: str  # the column of `data.trend` drawn under the tile
    trend_name: str
    trend_render: Callable[[float], str]  # a period's value in the trend's tooltip


# fmt: off
TILES = [
    Tile("Deploys per week", "deploys_per_week", formats.number, "deployment_frequency", False, "deployments", "deployments", formats.count),
    Tile("Lead time (median)", "lead_time_p50_seconds", formats.duration, "lead_time", True, "lead_time_p50_seconds", "lead time p50", formats.duration),
    Tile("Change fail rate", "change_fail_rate", formats.percent, "change_fail_rate", True, "change_fail_rate", "change fail rate", formats.percent),
    Tile("Recovery (median)", "recovery_p50_seconds", formats.duration, "recovery", True, "recovery_p50_seconds", "recovery p50", formats.duration),
    Tile("Rework rate", "rework_rate", formats.percent, None, True, "rework_rate", "rework rate", formats.percent),
]
# fmt: on


def _delta(current: float, previous: float, render) -> str | None:
    if pd.isna(current) or pd.isna(previous):
        return None
    change = current - previous
    sign = "+" if change >= 0 else "−"
    return f"{sign}{render(abs(change))} vs prev."


def _explained(now: pd.Series) -> dict[str, str]:
    """Each tile's help: what the number is made of in this period."""
    return {
        "Deploys per week": f"Successful counted deployments per week ({formats.count(now['deployments'])} in the period, {formats.count(now['deploy_days'])} deploy days). Level from the median deploy days per week.",  # fmt: skip
        "Lead time (median)": f"Median first commit → deployed over {formats.count(now['changes'])} changes; p90 {formats.duration(now['lead_time_p90_seconds'])}.",  # fmt: skip
        "Change fail rate": f"{formats.count(now['change_failures'])} change failures / {formats.count(now['counted_deployments'])} counted deployments.",  # fmt: skip
        "Recovery (median)": f"Failure start → restored; {formats.count(now['open_failures'])} failure(s) still open.",  # fmt: skip
        "Rework rate": "Rollbacks, reverts, hotfixes and restoring deployments / successful counted deployments. DORA gives no bands.",  # fmt: skip
    }


def _scorecard(now: pd.Series, before: pd.Series, trend: pd.DataFrame, levels: dict) -> None:
    """The five tiles (value, change, DORA level) over one row of their small trends."""
    explained = _explained(now)
    with st.container(border=True):
        for column, tile in zip(st.columns(len(TILES)), TILES, strict=True):
            value = now[tile.column]
            with column:
                st.metric(
                    tile.label,
                    tile.render(value),
                    delta=_delta(value, before[tile.column], tile.render),
                    delta_color="inverse" if tile.lower_is_better else "normal",
                    help=explained[tile.label],
                )
                level = levels.get(tile.level)
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

    st.subheader("Per service, as built")
    summary = data.summary_by_scope()
    st.caption("The `dora_summary` mart over the snapshot's own window, with its built levels.")
    table(summary, "dora_summary", SUMMARY_COLUMNS)


filters.guarded(render)
