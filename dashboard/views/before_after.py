"""Before / after: compare the periods either side of a date (say, when a new pipeline went live)."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import charts, data, filters, pipeline_data
from dashboard.downloads import table
from dashboard.vega import show

COLUMNS = {
    "deploys_per_week": st.column_config.NumberColumn("deploys / week", format="%.2f"),
    "lead_time_p50_hours": st.column_config.NumberColumn("lead time p50 (h)", format="%.1f"),
    "change_fail_rate": st.column_config.NumberColumn("change fail rate", format="percent"),
    "recovery_p50_hours": st.column_config.NumberColumn("recovery p50 (h)", format="%.1f"),
    "manual_runs_per_release": st.column_config.NumberColumn(
        "manual runs / release", format="%.2f"
    ),  # fmt: skip
    "rollback_p50_hours": st.column_config.NumberColumn("rollback time p50 (h)", format="%.1f"),
}


def _pivot(scope) -> date:
    """The comparison date: picked here, else from a shared link, else the period's middle."""
    middle = scope.start + timedelta(days=scope.days // 2)
    try:
        from_url = date.fromisoformat(st.query_params.get("pivot", ""))
    except ValueError:
        from_url = None
    for candidate in (st.session_state.get("pivot"), st.session_state.get("kept_pivot"), from_url, middle):  # fmt: skip
        if isinstance(candidate, date) and scope.start < candidate <= scope.end:
            st.session_state["pivot"] = candidate
            break
    picked = st.date_input("Compare around (UTC day)", key="pivot", min_value=scope.start + timedelta(days=1), max_value=scope.end, format="YYYY-MM-DD")  # fmt: skip
    st.session_state["kept_pivot"] = picked
    st.query_params["pivot"] = picked.isoformat()
    return picked


def render() -> None:
    scope = filters.sidebar()
    st.title("Before / after")
    st.caption(filters.describe(scope))
    if scope.days < 2:
        st.info("Pick a period of at least two days to compare its halves.")
        return
    pivot = _pivot(scope)
    sides = pipeline_data.before_after(scope, pivot)
    st.caption(f"Before: {scope.start:%d %b %Y} – {pivot - timedelta(days=1):%d %b %Y} · after: {pivot:%d %b %Y} – {scope.end:%d %b %Y}")  # fmt: skip
    table(sides, "before_after", COLUMNS)

    trend = data.trend(scope)
    manual = pipeline_data.manual_runs(scope)
    marker = pd.Timestamp(pivot)
    left, right = st.columns(2)
    with left:
        st.subheader(f"Deployments per {scope.grain}")
        show(charts.with_pivot(trend, "deployments", "deployments (count)", scope.grain, marker, ",d"))  # fmt: skip
        st.subheader("Change fail rate")
        show(charts.with_pivot(trend, "change_fail_rate", "change fail rate (%)", scope.grain, marker, ".0%"))  # fmt: skip
    with right:
        st.subheader("Lead time (median)")
        show(charts.with_pivot(trend, "lead_time_p50_hours", "lead time (hours)", scope.grain, marker, ",.1f"))  # fmt: skip
        st.subheader(f"Manual workflow runs per {scope.grain}")
        if manual.empty:
            st.info("No workflow runs recorded in this period.")
        else:
            show(charts.with_pivot(manual, "manual_runs", "manual runs (count)", scope.grain, marker, ",d"))  # fmt: skip


filters.guarded(render)
