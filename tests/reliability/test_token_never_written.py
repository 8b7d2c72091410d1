"""The GitHub token never reaches a log, a table, an export, the report or Prefect's database."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.reliability.harness import TOKEN, PipelineRun, run_pipeline


def _is_duckdb(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(12)[8:12] == b"DUCK"


def _tables_containing(con: duckdb.DuckDBPyConnection, needle: str) -> list[str]:
    """Every table whose text (any column cast to text) contains the needle: DuckDB compresses
    strings on disk, so a byte grep of the file alone could miss it."""
    hits = []
    tables = con.execute(
        "select database_name, schema_name, table_name from duckdb_tables()"
    ).fetchall()
    for database, schema, table in tables:
        name = f'"{database}"."{schema}"."{table}"'
        found = con.execute(
            f"select count(*) from {name} t where contains(t::varchar, ?)", [needle]
        ).fetchone()[0]
        if found:
            hits.append(f"{schema}.{table}")
    return hits


def find_secret(roots: list[Path], needle: str) -> list[str]:
    """Every place under `roots` the needle is stored: raw bytes, DuckDB tables, Parquet cells."""
    hits = []
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if needle.encode() in path.read_bytes():
                hits.append(str(path))
            if path.suffix == ".duckdb" and _is_duckdb(path):
                with duckdb.connect(str(path), read_only=True) as con:
                    hits += [f"{path}:{t}" for t in _tables_containing(con, needle)]
            elif path.suffix == ".parquet":
                with duckdb.connect() as con:
                    found = con.execute(
                        "select count(*) from read_parquet(?) t where contains(t::varchar, ?)",
                        [str(path), needle],
                    ).fetchone()[0]
                if found:
                    hits.append(str(path))
    return hits


def _outputs(run: PipelineRun) -> list[Path]:
    return [run.root, run.prefect.home, run.prefect.log.parent]


def test_the_finder_finds_a_token_wherever_it_is_stored(tmp_path):
    # The check must be able to fail: a token in a compressed DuckDB column and in Parquet is found.
    with duckdb.connect(str(tmp_path / "x.duckdb")) as con:
        con.execute("create table t as select 'Bearer ' || ? || range::varchar as s from range(5000)", [TOKEN])  # fmt: skip
        con.execute(f"copy t to '{tmp_path / 'x.parquet'}' (format parquet, compression zstd)")
    hits = find_secret([tmp_path], TOKEN)
    assert any(h.endswith("x.duckdb:main.t") for h in hits), hits
    assert str(tmp_path / "x.parquet") in hits


def test_the_pipeline_run_with_a_token_writes_it_nowhere(pipeline: PipelineRun):
    # Proof that the right places were searched: the run's flow parameters are in Prefect's
    # database, the data is in the DuckDB files, the exports and the report exist.
    prefect_files = b"".join(p.read_bytes() for p in pipeline.prefect.home.glob("prefect.db*"))
    assert str(pipeline.db).encode() in prefect_files, "flow-run parameters not found"
    assert pipeline.snapshot.exists()
    assert len(list((pipeline.root / "export-csv").glob("*.csv"))) >= 9
    assert len(list((pipeline.root / "export-parquet").glob("*.parquet"))) >= 9
    assert pipeline.results["report"].returncode == 0, pipeline.results["report"].stderr
    assert "Ingested 3 repositories" in (pipeline.root / "ingest.stdout").read_text()

    assert find_secret(_outputs(pipeline), TOKEN) == []
    # A token cut into a URL or a header would still leak its tail.
    assert find_secret(_outputs(pipeline), TOKEN[4:]) == []


def test_flow_run_parameters_hold_no_token(pipeline: PipelineRun):
    # Prefect stores flow parameters; the token is read from the environment inside the flow.
    import sqlite3

    with sqlite3.connect(pipeline.prefect.home / "prefect.db") as con:
        rows = con.execute("select name, parameters from flow_run").fetchall()
    assert rows, "no flow runs recorded"
    for _, parameters in rows:
        assert "token" not in parameters.lower(), parameters


@pytest.mark.slow
def test_with_every_python_logger_at_debug_the_token_is_still_nowhere(
    tmp_path, simulator, prefect_server
):
    # urllib3, PyGithub, httpx: all of them at DEBUG, printed to stderr.
    run = run_pipeline(tmp_path, simulator, prefect_server, PREFECT_LOGGING_ROOT_LEVEL="DEBUG")
    assert find_secret(_outputs(run), TOKEN) == []
