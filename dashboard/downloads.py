"""CSV and Parquet downloads of a table, with the same formula-safe CSV as `dora export`."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from models.export import safe_for_spreadsheets


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV `dora export` writes: formula-like text cells neutralised by the same function."""
    return safe_for_spreadsheets(frame).to_csv(index=False).encode("utf-8")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def download_buttons(frame: pd.DataFrame, name: str) -> None:
    """Two buttons under a table: `<name>.csv` and `<name>.parquet`.

    The bytes are made when a button is clicked, not on every rerun of the page.
    """
    left, right, _ = st.columns([1, 1, 4])
    with left:
        st.download_button("Download CSV", lambda: csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv", key=f"csv-{name}", on_click="ignore")  # fmt: skip
    with right:
        st.download_button("Download Parquet", lambda: parquet_bytes(frame), file_name=f"{name}.parquet", mime="application/vnd.apache.parquet", key=f"parquet-{name}", on_click="ignore")  # fmt: skip


def table(frame: pd.DataFrame, name: str, column_config: dict | None = None, height: int | str = "auto") -> None:  # fmt: skip
    """A table with its two download buttons; `name` is the downloaded file's stem."""
    st.dataframe(frame, hide_index=True, column_config=column_config, height=height)
    download_buttons(frame, name)
