"""Deployments: a timeline per environment and a table that drills down to commits and PRs."""

import streamlit as st

from dashboard import charts, details, filters
from dashboard.downloads import table
from dashboard.vega import show

LINKS = {
    "deployment_url": st.column_config.LinkColumn("deployment", display_text="deployments"),
    "run_url": st.column_config.LinkColumn("run", display_text="run"),
    "commit_url": st.column_config.LinkColumn("commit", display_text="commit"),
    "pr_url": st.column_config.LinkColumn("pull request", display_text="PR"),
    "lead_time_p50_hours": st.column_config.NumberColumn("lead time p50 (h)", format="%.1f"),
    "lead_time_hours": st.column_config.NumberColumn("lead time (h)", format="%.1f"),
    "happened_at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm"),
    "started_at": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm"),
}


def render() -> None:
    scope = filters.sidebar()
    st.title("Deployments")
    st.caption(filters.describe(scope))
    timeline = details.timeline(scope)
    if timeline.empty:
        who = scope.repo or "this scope"
        st.info(f"No deployments for {who} in this period. Pick another repository or a wider period.")  # fmt: skip
        return
    st.subheader("Timeline")
    st.caption("Every environment of the selected repository and service; one mark per day and kind, sized by count.")  # fmt: skip
    show(charts.timeline(timeline))

    st.subheader("Deployment attempts")
    attempts = details.deployment_list(scope)
    if attempts.empty:
        st.info("No deployment attempts in this environment and period.")
        return
    table(attempts.drop(columns="picker_label"), "deployments", LINKS)
    _shipped(attempts)


@st.fragment
def _shipped(attempts) -> None:
    """The drill-down; a fragment, so picking a deployment reruns only this part of the page."""
    filters.guarded(lambda: _drill_down(attempts))  # a fragment's own rerun skips render()'s guard


def _drill_down(attempts) -> None:
    st.subheader("What a deployment shipped")
    # Plain-text options (label -> key) keep the picker's state simple to restore and to test.
    keys = dict(zip(attempts["picker_label"].tolist(), zip(attempts["repo"].tolist(), attempts["source"].tolist(), attempts["deployment_id"].tolist(), strict=True), strict=True))  # fmt: skip
    picked = keys[st.selectbox("Deployment", list(keys), key="drill_deployment")]
    shipped = details.deployment_changes(*picked)
    if shipped.empty:
        st.info("No attributed changes: a redeploy, rollback, failed attempt, or the first deployment of its scope (no baseline).")  # fmt: skip
    else:
        table(shipped, f"deployment_{picked[2]}_changes", LINKS)


filters.guarded(render)
