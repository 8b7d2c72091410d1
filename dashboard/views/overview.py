"""Overview: the five DORA metrics for the scope, each with level, change and a small trend."""

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


def _delta(current: float, previous: float, render) -> str | None:
    if pd.isna(current) or pd.isna(previous):
        return None
    change = current - previous
    sign = "+" if change >= 0 else "−"
    return f"{sign}{render(abs(change))} vs prev."


def _tile(column, label, value, previous, render, spark, level, lower_is_better, help_text):
    # A fixed-height bordered box keeps the five tiles aligned whether or not a delta shows.
    with column, st.container(border=True, height=245):
        st.metric(
            label,
            render(value),
            delta=_delta(value, previous, render),
            delta_color="inverse" if lower_is_better else "normal",
            help=help_text,
        )
        # Our own chart, not st.metric's chart_data: its spec stays the same when a filter
        # changes, so the browser only swaps its data instead of building a new chart.
        show(spark)
        if level is not None or pd.isna(value):
            name = level or "no data"
            st.badge(f"DORA level: {name}", color=LEVEL_BADGES.get(name, "gray"))


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
    trend = data.trend(scope)
    if now["counted_deployments"] == 0:
        st.info("No finished deployments in this scope and period. Widen the period or change the filters.")  # fmt: skip
    # Levels apply to production only (METRICS.md section 4).
    banded = scope.environment == "production"
    level = data.levels(now, scope.edition) if banded else {}
    tiles = st.columns(5)
    _tile(tiles[0], "Deploys per week", now["deploys_per_week"], before["deploys_per_week"], formats.number, charts.sparkline(trend, "deployments", "deployments (count)", ",d"), level.get("deployment_frequency"), False, f"Successful counted deployments per week ({formats.count(now['deployments'])} in the period, {formats.count(now['deploy_days'])} deploy days). Level from the median deploy days per week.")  # fmt: skip
    _tile(tiles[1], "Lead time (median)", now["lead_time_p50_seconds"], before["lead_time_p50_seconds"], formats.duration, charts.sparkline(trend, "lead_time_p50_hours", "lead time p50 (hours)", ",.1f"), level.get("lead_time"), True, f"Median first commit → deployed over {formats.count(now['changes'])} changes; p90 {formats.duration(now['lead_time_p90_seconds'])}.")  # fmt: skip
    _tile(tiles[2], "Change fail rate", now["change_fail_rate"], before["change_fail_rate"], formats.percent, charts.sparkline(trend, "change_fail_rate", "change fail rate (%)", ".1%"), level.get("change_fail_rate"), True, f"{formats.count(now['change_failures'])} change failures / {formats.count(now['counted_deployments'])} counted deployments.")  # fmt: skip
    _tile(tiles[3], "Recovery (median)", now["recovery_p50_seconds"], before["recovery_p50_seconds"], formats.duration, charts.sparkline(trend, "recovery_p50_hours", "recovery p50 (hours)", ",.1f"), level.get("recovery"), True, f"Failure start → restored; {formats.count(now['open_failures'])} failure(s) still open.")  # fmt: skip
    _tile(tiles[4], "Rework rate", now["rework_rate"], before["rework_rate"], formats.percent, charts.sparkline(trend, "rework_rate", "rework rate (%)", ".1%"), None, True, "Rollbacks, reverts, hotfixes and restoring deployments / successful counted deployments. DORA gives no bands.")  # fmt: skip
    if not banded:
        st.caption("DORA levels are shown for the production environment only.")

    left, right = st.columns(2)
    with left:
        st.subheader(f"Deployments per {scope.grain}")
        show(charts.bars_over_time(trend, "deployments", "deployments (count)", scope.grain))  # fmt: skip
    with right:
        st.subheader("Change lead time")
        show(charts.trend(trend, {"lead_time_p50_hours": "p50", "lead_time_p90_hours": "p90"}, "lead time (hours)", scope.grain, ",.1f"))  # fmt: skip
    left, right = st.columns(2)
    with left:
        st.subheader("Change fail rate")
        show(charts.trend(trend, {"change_fail_rate": "change fail rate", "rework_rate": "rework rate"}, "share of deployments (%)", scope.grain, ".0%"))  # fmt: skip
    with right:
        st.subheader("Recovery time")
        show(charts.trend(trend, {"recovery_p50_hours": "median"}, "recovery time (hours)", scope.grain, ",.1f"))  # fmt: skip

    st.subheader("Per service, as built")
    summary = data.summary_by_scope()
    st.caption("The `dora_summary` mart over the snapshot's own window, with its built levels.")
    table(summary, "dora_summary", SUMMARY_COLUMNS)


filters.guarded(render)
