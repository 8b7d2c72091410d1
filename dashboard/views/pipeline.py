"""Pipeline: workflow dependency graph, the proposed orchestration, workflow health, promotion."""

import pandas as pd
import streamlit as st

from dashboard import charts, filters, graph, pipeline_data
from dashboard.downloads import table
from dashboard.scope import Scope
from dashboard.snapshot import SnapshotUnavailable
from dashboard.vega import show

COLUMNS = {
    "success_rate": st.column_config.NumberColumn("success rate", format="percent"),
    "rerun_share": st.column_config.NumberColumn("re-run share", format="percent"),
    "manual_share": st.column_config.NumberColumn("manual share", format="percent"),
    "duration_p50_seconds": st.column_config.NumberColumn("duration p50 (s)", format="%.0f"),
    "duration_p95_seconds": st.column_config.NumberColumn("duration p95 (s)", format="%.0f"),
    "queue_p50_seconds": st.column_config.NumberColumn("queue p50 (s)", format="%.0f"),
}
GRAPH_REPO_LIMIT = 5
ORCHESTRATION_COLUMNS = {
    "releases": st.column_config.NumberColumn("production releases", format="%d"),
    "manual_runs_p50": st.column_config.NumberColumn("manual triggers / release today (median)", format="%.1f"),
    "with_proposal_p50": st.column_config.NumberColumn("with the proposal (median)", format="%.1f"),
    "approval_gates": st.column_config.NumberColumn("approvals / release", format="%d"),
}  # fmt: skip


def render() -> None:
    scope = filters.sidebar()
    st.title("Pipeline")
    st.caption(filters.describe(scope))
    health = pipeline_data.workflow_health(scope)
    edges = pipeline_data.workflow_dependencies(scope)

    st.subheader("Workflow dependencies")
    repos = sorted(set(health["repo"]) | set(edges["repo"]))
    # One container whatever it holds (a message, or a legend and the graph), so picking a
    # repository does not shift the charts below: shifted, each would be redrawn from scratch.
    with st.container():
        if not repos:
            st.info("No workflows in the snapshot for this repository.")
        elif len(repos) > GRAPH_REPO_LIMIT:
            st.info(f"{len(repos)} repositories: pick one in the sidebar to see its workflow graph.")  # fmt: skip
        else:
            st.caption("Colour: success rate (green ≥ 95%, orange ≥ 80%, vermillion below). Dashed border: started only by hand. Ellipses: environments deployed to.")  # fmt: skip
            st.graphviz_chart(graph.dependency_dot(health, edges), width="stretch")

    _orchestration(scope, health, edges)

    st.subheader("Workflow health")
    if health.empty:
        st.info("No workflow runs in the snapshot for this repository.")
    else:
        table(health, "workflow_health", COLUMNS)

    st.subheader("Promotion")
    funnel = pipeline_data.promotion_funnel(scope)
    if funnel.empty:
        st.info("No change reached an environment in this period.")
        return
    left, right = st.columns(2)
    with left:
        st.caption("Changes of the period that reached each environment")
        show(charts.funnel(funnel))
    with right:
        st.caption("Median time from one environment to the next")
        steps = pipeline_data.promotion_trend(scope)
        if steps.empty:
            st.info("No change was promoted between environments in this period.")
        else:
            show(charts.step_trend(steps, scope.grain))
    table(funnel, "promotion_funnel", {"lag_p50_hours": st.column_config.NumberColumn("median lag (h)", format="%.1f")})  # fmt: skip


def _orchestration(scope: Scope, health: pd.DataFrame, edges: pd.DataFrame) -> None:
    """Today's manual triggers per release, the proposed stages beside today's graph, the change."""
    st.subheader("Orchestration")
    try:
        summary = pipeline_data.orchestration(scope)
    except SnapshotUnavailable:
        st.info("This snapshot has no proposed orchestration: rebuild it with `dora build`.")
        return
    if summary.empty:
        st.info("No workflow files in the snapshot for this repository.")
        return
    if scope.repo is None:
        st.caption("Manual triggers per production release in the period (median), today and with the orchestrator `dora propose-pipeline` proposes. Pick a repository to see its proposal.")  # fmt: skip
        table(summary, "orchestration", ORCHESTRATION_COLUMNS)
        return
    row = summary.iloc[0]
    if pd.isna(row["file_name"]):
        st.info(f"No proposal for {scope.repo}: {row['reason']}.")
        return
    today, proposed = row["manual_runs_p50"], row["with_proposal_p50"]
    left, middle, right = st.columns(3)
    if pd.isna(today):
        left.metric("Manual triggers per release, today", "no releases")
        middle.metric("With the proposal", "no releases")
    else:
        left.metric("Manual triggers per release, today", f"{today:g}", help="median over the period's production releases")  # fmt: skip
        middle.metric("With the proposal", f"{proposed:g}", delta=f"{proposed - today:+g}", delta_color="inverse", help="the runs it does not replace, plus its approvals")  # fmt: skip
    right.metric("Approvals per release", f"{row['approval_gates']:d}")
    st.caption(f"{row['releases']:d} production releases in the period. `dora propose-pipeline --repo {scope.repo}` writes the file.")  # fmt: skip
    stored = pipeline_data.proposal(scope.repo).iloc[0]
    called = set(stored["called_workflows"])
    today_graph, proposed_graph = st.columns(2)
    with today_graph:
        st.caption("Today: the workflows it calls, as they are started now")
        st.graphviz_chart(
            graph.dependency_dot(
                health[health["workflow_path"].isin(called)],
                edges[edges["workflow_path"].isin(called)],
            ),
            width="stretch",
        )
    with proposed_graph:
        st.caption(f"Proposed: .github/workflows/{stored['file_name']}, stages left to right")
        st.graphviz_chart(graph.proposal_dot(list(stored["jobs"])), width="stretch")
    with st.expander("Rationale and the proposed file"):
        st.code(stored["rationale"], language=None)
        st.code(stored["workflow_yaml"], language="yaml")


filters.guarded(render)
