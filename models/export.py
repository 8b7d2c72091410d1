"""Export every table of the published snapshot to CSV or Parquet, one file per table."""

from __future__ import annotations

import os
import shutil
import tempfile
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
    """Write each snapshot table to `<out_dir>/<table>.<format>`; returns the files written.

    Files are written into a staging folder inside `out_dir` and moved into place only once every
    table is written, so a failure leaves no partial file (and no new folder) behind.
    """
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"unknown export format {file_format!r}: use parquet or csv")
    out = Path(out_dir)
    with open_snapshot(db) as con:  # first: a missing or broken snapshot creates nothing
        created = not out.exists()
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out))
        try:
            tables = snapshot_tables(con)
            names = [f"{table}.{file_format}" for table in tables]
            for table, name in zip(tables, names, strict=True):
                _write_table(con, table, staging / name, file_format)
            for name in names:
                if (out / name).is_dir():
                    raise IsADirectoryError(f"{out / name} is a folder; cannot write the export")
            written = []
            for name in names:
                os.replace(staging / name, out / name)
                written.append(out / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if created and not any(out.iterdir()):
                out.rmdir()
    return written


def with_teams(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's query, with `teams` (its scope's teams, comma-separated) when it has a scope.

    A row of a repo x service gets the teams of that scope, a repository-level row those of the
    repository; without team tables (or for the team tables themselves) the table as it is.
    """
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'main' and table_name = ?",
            [table],
        ).fetchall()
    }
    present = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    plain = f'select * from main."{table}"'
    if "repo" not in columns or "teams" in columns or not {"team_scopes", "team_repositories"} <= present:  # fmt: skip
        return plain
    if table in {"teams", "team_scopes", "team_repositories"}:
        return plain
    if "service" in columns:
        owners = "select string_agg(team, ', ' order by team) from team_scopes as owned where owned.repo = t.repo and owned.service = t.service"  # fmt: skip
    else:
        owners = "select string_agg(team, ', ' order by team) from team_repositories as owned where owned.repo = t.repo"  # fmt: skip
    return f'select t.*, ({owners}) as teams from main."{table}" as t'


def _write_table(con: duckdb.DuckDBPyConnection, table: str, path: Path, file_format: str) -> None:
    query = with_teams(con, table)
    if file_format == "parquet":
        target = str(path).replace("'", "''")
        con.execute(f"copy ({query}) to '{target}' (format parquet, compression zstd)")
    else:
        frame = safe_for_spreadsheets(con.execute(query).df())
        frame.to_csv(path, index=False)
