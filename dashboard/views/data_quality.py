"""Data quality: what stands behind the numbers (METRICS.md section 5) and when data was synced."""

import pandas as pd
import streamlit as st

from dashboard import data, filters, formats, pipeline_data
from dashboard.downloads import table


def render() -> None:
    scope = filters.sidebar()
    st.title("Data quality")
    st.caption(f"{scope.repo or 'all repositories'} · {scope.service or 'all services'} · {scope.environment or 'all environments'} · all time in the snapshot")  # fmt: skip
    info = data.snapshot_info()
    if not info.empty:
        row = info.iloc[0]
        cols = st.columns(4)
        cols[0].metric("Last synced (UTC)", f"{pd.Timestamp(row['last_synced_at']):%Y-%m-%d %H:%M}" if pd.notna(row.get("last_synced_at")) else "never", border=True)  # fmt: skip
        cols[1].metric("Snapshot built (UTC)", f"{pd.Timestamp(row['built_at']):%Y-%m-%d %H:%M}" if pd.notna(row.get("built_at")) else "unknown", border=True)  # fmt: skip
        cols[2].metric("Data as of (UTC)", f"{pd.Timestamp(row['as_of']):%Y-%m-%d %H:%M}" if pd.notna(row.get("as_of")) else "unknown", border=True)  # fmt: skip
        cols[3].metric("Summary window", f"{row['window_days']} days" if pd.notna(row.get("window_days")) else "unknown", border=True)  # fmt: skip

    st.subheader("Coverage")
    coverage = pipeline_data.coverage(scope).iloc[0]
    cols = st.columns(5)
    cols[0].metric(
        "Deployment attempts", formats.count(coverage["deployment_attempts"]), border=True
    )
    cols[1].metric("Counted", formats.count(coverage["counted_deployments"]), border=True)
    cols[2].metric("Unfinished (left out)", formats.count(coverage["unfinished_deployments"]), border=True)  # fmt: skip
    cols[3].metric("Redeploys (left out)", formats.count(coverage["redeploys"]), border=True)
    cols[4].metric("Attributed changes", formats.count(coverage["attributed_changes"]), border=True)

    section(
        "Per repository",
        "Unfinished and superseded deployments, failed and retried attempts (a retry stands for a flaky failure), changes without a baseline, excluded negative lead times, unattributed incidents and unresolved commit ranges (METRICS.md section 5).",
        pipeline_data.data_quality(scope),
        "data_quality",
        "No data-quality rows for this repository.",
    )  # fmt: skip
    section(
        "History",
        "How far back each repository's ingested history reaches: a first sync reads the most recent weeks of every repository, then older history newest first; figures before `history_from` are incomplete until the state is complete.",
        pipeline_data.history_coverage(scope),
        "history_coverage",
        "No history rows for this repository.",
    )  # fmt: skip


def section(title: str, caption: str, rows: pd.DataFrame, name: str, empty: str) -> None:
    """A titled table of one mart's rows, with its downloads."""
    st.subheader(title)
    st.caption(caption)
    if rows.empty:
        st.info(empty)
    else:
        table(rows, name)


filters.guarded(render)
