"""The published snapshot opens in an older DuckDB (what BI tools ship), every table and value
(compared as JSON: DuckDB versions render nested values as text differently)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.build import build_and_publish
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import sync

REPO = Path(__file__).resolve().parents[2]
OLDEST_READER = "1.0.0"  # the first DuckDB with a stable storage format; what we promise
READ_EVERY_VALUE = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
out = {}
for (table,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall():
    rows = con.execute(f'select to_json(t)::varchar from "{table}" t order by all').fetchall()
    out[table] = [r[0] for r in rows]
print(json.dumps({"version": duckdb.__version__, "tables": out}))
"""


def _older_duckdb(root: Path) -> Path:
    """A venv with DuckDB OLDEST_READER (from PyPI, or uv's cache): its python."""
    uv = shutil.which("uv") or str(REPO / ".venv-uv" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.fail("uv is not installed: run `make setup`")
    venv = root / "old-duckdb"
    for args in (
        [uv, "venv", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "--python", str(venv / "bin" / "python"),
         f"duckdb=={OLDEST_READER}"],
    ):  # fmt: skip
        result = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            message = f"cannot install duckdb {OLDEST_READER}: {result.stderr[-500:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return venv / "bin" / "python"


def test_an_older_duckdb_reads_every_table_of_the_snapshot(tmp_path):
    org = generate_organisation(seed=5, scale="tiny", days=21, end=date(2026, 11, 20))
    db = tmp_path / "dora.duckdb"
    with SimulatorServer(org) as server:
        sync(server.base_url, db)
    snapshot = build_and_publish(db, Settings()).snapshot

    old_python = _older_duckdb(tmp_path)
    result = subprocess.run(
        [str(old_python), "-c", READ_EVERY_VALUE, str(snapshot)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    old = json.loads(result.stdout)
    assert old["version"] == OLDEST_READER

    with duckdb.connect(str(snapshot), read_only=True) as con:
        ours = {}
        for (table,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall():
            rows = con.execute(
                f'select to_json(t)::varchar from "{table}" t order by all'
            ).fetchall()
            ours[table] = [r[0] for r in rows]
    assert sorted(old["tables"]) == sorted(ours) and "deployments" in ours
    for table, rows in ours.items():
        assert old["tables"][table] == rows, table
    assert len(ours["deployments"]) > 0
