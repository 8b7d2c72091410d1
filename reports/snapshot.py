"""Read-only access to the published snapshot: open it per use, rows as dicts, what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from models.publish import snapshot_path


class SnapshotMissingError(Exception):
    """There is no published snapshot yet (run `dora build` first)."""


class SnapshotUnreadableError(SnapshotMissingError):
    """The published snapshot exists but DuckDB cannot open it (a corrupt or foreign file)."""


def open_snapshot(db: Path) -> duckdb.DuckDBPyConnection:
    """Open the published snapshot read-only, or explain that there is none."""
    path = snapshot_path(db)
    if not path.exists():
        raise SnapshotMissingError(f"no published snapshot at {path}: run `dora build` first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SnapshotUnreadableError(
            f"cannot open the published snapshot {path} ({reason}): run `dora build` again"
        ) from None


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()
    }


def columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    sql = "select column_name from information_schema.columns where table_name = ?"
    return {row[0] for row in con.execute(sql, [table]).fetchall()}
