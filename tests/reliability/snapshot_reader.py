"""A reader of the published snapshot, as the dashboard is one: polls it while builds are killed.

Run as a script: `python snapshot_reader.py SNAPSHOT EXPECTED.json STOP_FILE RESULT.json`. Each poll
opens the snapshot read-only, as a new reader would, and checks its signature (tables, row
counts, content hashes) against the expected one; the counts go to RESULT.json at the end.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

# Columns that differ between two complete snapshots of the same data: when it was built.
VOLATILE = {"snapshot_info": ("built_at", "last_synced_at")}


def signature(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """table -> [rows, content hash]: equal for every complete snapshot of the same raw data."""
    tables = [
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "order by table_name"
        ).fetchall()
    ]
    out = {}
    for table in tables:
        exclude = VOLATILE.get(table)
        columns = f"* exclude ({', '.join(exclude)})" if exclude else "*"
        rows, digest = con.execute(
            f"select count(*), coalesce(sum(hash(x)::hugeint), 0)::varchar "
            f'from (select {columns} from main."{table}") x'
        ).fetchone()
        out[table] = [rows, digest]
    return out


def poll(snapshot: Path, expected: dict, stop: Path, ready: Path) -> dict:
    """Open the snapshot until `stop` exists; count complete, absent, wrong and failed opens.

    `ready` is created after the first open, so the kills start while this reader is reading.
    """
    result = {"polls": 0, "complete": 0, "absent": 0, "wrong": 0, "errors": 0, "swaps_seen": 0}
    result["samples"], last_inode = [], None
    parent = os.getppid()
    while not stop.exists() and os.getppid() == parent:  # the test may die: do not outlive it
        if result["polls"] == 1:
            ready.touch()
        result["polls"] += 1
        try:
            inode = os.stat(snapshot).st_ino
            with duckdb.connect(str(snapshot), read_only=True) as con:
                seen = signature(con)
        except FileNotFoundError:
            result["absent"] += 1
            continue
        except duckdb.Error as exc:
            result["errors"] += 1
            if len(result["samples"]) < 5:
                result["samples"].append(f"error: {exc}")
            continue
        if seen == expected:
            result["complete"] += 1
            # a new file at the path since the last complete open: a publish swapped it in
            result["swaps_seen"] += last_inode is not None and inode != last_inode
            last_inode = inode
        else:
            result["wrong"] += 1
            if len(result["samples"]) < 5:
                result["samples"].append(f"wrong: {seen}")
        time.sleep(0.002)
    return result


if __name__ == "__main__":
    snapshot, expected, stop, out = map(Path, sys.argv[1:5])
    found = poll(snapshot, json.loads(expected.read_text()), stop, out.with_suffix(".ready"))
    out.write_text(json.dumps(found))
