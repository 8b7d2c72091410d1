"""Stability: change fail rate and recovery trends, every failure and how it was restored, incidents."""

import streamlit as st

from dashboard import charts, data, details, filters, formats
from dashboard.downloads import table
from dashboard.vega import show

COLUMNS = {
    "recovery_hours": st.column_config.NumberColumn("recovery (h)", format="%.1f"),
    "open_hours": st.column_config.NumberColumn("open for (h)", format="%.1f"),
    "commit_url": st.column_config.LinkColumn("commit", display_text="commit"),
    "run_url": st.column_config.LinkColumn("run", display_text="run"),
    "html_url": st.column_config.LinkColumn("issue", display_text="issue"),
    "failure_started_at": st.column_config.DatetimeColumn(
        "failure start (UTC)", format="YYYY-MM-DD HH:mm"
    ),  # fmt: skip
    "restored_at": st.column_config.DatetimeColumn("restored (UTC)", format="YYYY-MM-DD HH:mm"),
}


def render() -> None:
    scope = filters.sidebar()
    st.title("Stability")
    st.caption(filters.describe(scope))
    now = data.period_summary(scope).iloc[0]
    cols = st.columns(4)
    cols[0].metric("Change fail rate", formats.percent(now["change_fail_rate"]), border=True)
    cols[1].metric("Change failures", formats.count(now["change_failures"]), border=True)
    cols[2].metric(
        "Median recovery time", formats.duration(now["recovery_p50_seconds"]), border=True
    )
    cols[3].metric("Still open", formats.count(now["open_failures"]), border=True)
    if now["counted_deployments"] == 0:
        st.info("No finished deployments in this scope and period: no failure rate to show.")
        return

    trend = data.trend(scope)
    left, right = st.columns(2)
    with left:
        st.subheader("Change fail rate and rework")
        show(charts.trend(trend, {"change_fail_rate": "change fail rate", "rework_rate": "rework rate"}, "share of deployments (%)", scope.grain, ".0%"))  # fmt: skip
    with right:
        st.subheader("Recovery time")
        show(charts.trend(trend, {"recovery_p50_hours": "median"}, "recovery time (hours)", scope.grain, ",.1f"))  # fmt: skip

    st.subheader("Change failures")
    failures = details.change_failures(scope)
    if failures.empty:
        st.success("No change failures in this period.")
    else:
        table(failures, "change_failures", COLUMNS)

    st.subheader("Incidents")
    incidents = details.incidents(scope)
    if incidents.empty:
        st.info("No incidents opened in this period.")
    else:
        unattributed = int((incidents["attribution"] == "unattributed").sum())
        st.caption(
            f"{len(incidents)} incident(s), {unattributed} not attributed to any deployment."
        )
        table(incidents, "incidents", COLUMNS)


filters.guarded(render)
