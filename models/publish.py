"""Publish the marts as an immutable snapshot that readers open read-only (write new, then swap)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

MART_SCHEMA = "marts"
# The snapshot is written in DuckDB 1.0's storage format, which every DuckDB since 1.0 reads
# (BI tools ship older DuckDBs than ours); DuckDB 2's own default ("latest") only DuckDB 2 reads.
SNAPSHOT_STORAGE_VERSION = "v1.0.0"


def snapshot_path(db: str | Path) -> Path:
    """`data/dora.duckdb` -> `data/dora.published.duckdb`: same folder, `<stem>.published.duckdb`."""
    db = Path(db)
    return db.with_name(f"{db.stem}.published.duckdb")


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the marts schema, in name order."""
    rows = con.execute(
        "select table_name from duckdb_tables() where schema_name = ? and database_name = "
        "current_database() order by table_name",
        [MART_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def publish(con: duckdb.DuckDBPyConnection, db: str | Path) -> Path:
    """Copy every mart table into a new file, then `os.replace` it onto the snapshot path.

    Readers that already hold the old snapshot keep it; new readers see the new one at once.
    """
    target = snapshot_path(db)
    remove_dead_staging(target)
    staging = target.with_name(f"{target.name}.{os.getpid()}.next")
    for leftover in (staging, staging.with_name(f"{staging.name}.wal")):
        leftover.unlink(missing_ok=True)  # a stale WAL would be replayed into the new file
    con.execute(
        f"attach '{staging}' as next_snapshot (storage_version '{SNAPSHOT_STORAGE_VERSION}')"
    )
    try:
        for table in mart_tables(con):
            con.execute(
                f"create table next_snapshot.main.{table} as select * from {MART_SCHEMA}.{table}"
            )
    finally:
        con.execute("detach next_snapshot")
    os.replace(staging, target)
    return target


def remove_dead_staging(target: Path) -> None:
    """Delete staging files (and WALs) of publishes whose process is gone: killed mid-publish."""
    for path in target.parent.glob(f"{target.name}.*.next*"):
        pid = path.name[len(target.name) + 1 :].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def open_snapshot(db: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot of `db`."""
    path = snapshot_path(db)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no published snapshot; run `dora build` first")
    return duckdb.connect(str(path), read_only=True)
