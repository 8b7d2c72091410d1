"""Export every table of the published snapshot to CSV or Parquet, one file per table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from models.publish import open_snapshot

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading `'`; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_for_spreadsheets(frame: pd.DataFrame) -> pd.DataFrame:
    """Neutralise formula-like text in the text columns only; numbers stay numbers."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or out[column].dtype == object:
            out[column] = out[column].map(neutralise, na_action="ignore")
    return out


def snapshot_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' order by table_name"
    ).fetchall()
    return [name for (name,) in rows]


def export(db: str | Path, out_dir: str | Path, file_format: str = "parquet") -> list[Path]:
    """Write each snapshot table to `<out_dir>/<table>.<format>`; returns the files written."""
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"unknown export format {file_format!r}: use parquet or csv")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with open_snapshot(db) as con:
        for table in snapshot_tables(con):
            path = out / f"{table}.{file_format}"
            if file_format == "parquet":
                con.execute(f"copy main.{table} to '{path}' (format parquet, compression zstd)")
            else:
                frame = safe_for_spreadsheets(con.execute(f"select * from main.{table}").df())
                frame.to_csv(path, index=False)
            written.append(path)
    return written
