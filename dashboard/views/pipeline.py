"""Pipeline: workflow dependency graph, workflow health, and promotion between environments."""

import streamlit as st

from dashboard import charts, filters, graph, pipeline_data
from dashboard.downloads import table
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


filters.guarded(render)
