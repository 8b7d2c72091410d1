"""Lead time: distribution, p50/p90 trend, stage breakdown and the slowest changes."""

import streamlit as st

from dashboard import charts, data, details, filters, formats
from dashboard.downloads import table
from dashboard.vega import show

COLUMNS = {
    "lead_time_hours": st.column_config.NumberColumn("lead time (h)", format="%.1f"),
    "coding_hours": st.column_config.NumberColumn("coding (h)", format="%.1f"),
    "review_hours": st.column_config.NumberColumn("review (h)", format="%.1f"),
    "delivery_hours": st.column_config.NumberColumn("delivery (h)", format="%.1f"),
    "commit_url": st.column_config.LinkColumn("commit", display_text="commit"),
    "pr_url": st.column_config.LinkColumn("pull request", display_text="PR"),
}


def render() -> None:
    scope = filters.sidebar()
    st.title("Lead time")
    st.caption(filters.describe(scope))
    now = data.period_summary(scope).iloc[0]
    if now["changes"] == 0:
        st.info("No attributed changes in this scope and period, so no lead time to show.")
        return
    cols = st.columns(3)
    cols[0].metric("Median lead time", formats.duration(now["lead_time_p50_seconds"]), border=True)
    cols[1].metric("90th percentile", formats.duration(now["lead_time_p90_seconds"]), border=True)
    cols[2].metric("Changes", formats.count(now["changes"]), border=True)

    left, right = st.columns(2)
    with left:
        st.subheader("Distribution")
        show(charts.distribution(details.lead_time_distribution(scope), "lead_time", "changes", "lead time (first commit → deployed)", "changes (count)"))  # fmt: skip
    with right:
        st.subheader("p50 and p90 trend")
        trend = data.trend(scope)
        show(charts.trend(trend, {"lead_time_p50_hours": "p50", "lead_time_p90_hours": "p90"}, "lead time (hours)", scope.grain, ",.1f"))  # fmt: skip

    st.subheader("Where the time goes")
    stages = details.stage_breakdown(scope)
    if stages.empty:
        st.info("No change in this period has a known pull request, so stages cannot be split.")
    else:
        st.caption("Median per stage for changes with a pull request: coding (first commit → PR opened), review (opened → merged), delivery (merged → deployed).")  # fmt: skip
        show(charts.stages(stages, scope.grain))

    st.subheader("Slowest changes")
    table(details.slowest_changes(scope), "slowest_changes", COLUMNS)


filters.guarded(render)
