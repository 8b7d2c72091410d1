"""Publishing (new file, then swap), failing SQL tests publish nothing, spreadsheet-safe exports."""

import csv

import duckdb
import pytest
from model_scenario import at

from flows.build import build_and_publish
from models.export import export, neutralise
from models.publish import snapshot_path
from models.runner import BuildFailed
from settings.config import Settings

SNAPSHOT_TABLES = {
    "deployments",
    "changes",
    "incidents",
    "dora_weekly",
    "dora_summary",
    "workflow_health",
    "workflow_dependencies",
    "promotion_lag",
    "data_quality",
    "dora_levels",
    "workflow_runs_weekly",
    "snapshot_info",
    "repositories",
    "ingest_shards",
    "releases",
    "release_steps",
    "orchestration_proposals",
    "history_coverage",
}


def _small_history(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0), description='=HYPERLINK("http://evil")')
    scenario.ok(2, "b", at(1), description="-2+3 rollback")
    scenario.ok(3, "c", at(2), description="@SUM(A1)")
    scenario.load()


def test_build_publishes_every_output_table_into_the_snapshot(scenario):
    _small_history(scenario)
    scenario.con.close()
    summary = build_and_publish(scenario.path, Settings())
    assert summary.snapshot == snapshot_path(scenario.path)
    assert summary.snapshot.name == "work.published.duckdb"
    with duckdb.connect(str(summary.snapshot), read_only=True) as con:
        tables = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'"
            ).fetchall()
        }
        assert tables == SNAPSHOT_TABLES
        assert con.execute("select count(*) from deployments").fetchone() == (3,)
        assert con.execute("select count(*) from snapshot_info").fetchone() == (1,)
    assert not list(scenario.path.parent.glob("*.next"))
    scenario.con = duckdb.connect(str(scenario.path))  # for the fixture's close


def test_a_failing_sql_test_shows_the_rows_and_publishes_nothing(scenario):
    _small_history(scenario)
    # an incident closed before it was opened makes a negative recovery time
    scenario.incident(1, at(2.5), closed=at(-5))
    scenario.load()
    scenario.con.close()
    with pytest.raises(BuildFailed) as failed:
        build_and_publish(scenario.path, Settings())
    assert "recovery_not_negative" in str(failed.value)
    # attributed to 3 (deployed 11:00); closed at 04:00: -7 h, and the offending row is shown
    assert "-25200" in str(failed.value)
    assert not snapshot_path(scenario.path).exists()
    scenario.con = duckdb.connect(str(scenario.path))


def test_csv_export_neutralises_formulas_and_leaves_numbers(scenario, tmp_path):
    _small_history(scenario)
    scenario.con.close()
    build_and_publish(scenario.path, Settings())
    written = export(scenario.path, tmp_path / "csv", "csv")
    assert {p.stem for p in written} == SNAPSHOT_TABLES
    with open(tmp_path / "csv" / "deployments.csv", newline="") as handle:
        rows = {int(r["deployment_id"]): r for r in csv.DictReader(handle)}
    assert rows[1]["description"] == '\'=HYPERLINK("http://evil")'
    assert rows[2]["description"] == "'-2+3 rollback"
    assert rows[3]["description"] == "'@SUM(A1)"
    with open(tmp_path / "csv" / "dora_weekly.csv", newline="") as handle:
        (week,) = list(csv.DictReader(handle))
    assert week["deployments"] == "3" and week["change_fail_rate"] in ("0.3333333333333333",)
    parquet = export(scenario.path, tmp_path / "pq", "parquet")
    assert len(parquet) == len(SNAPSHOT_TABLES)
    with duckdb.connect() as con:
        assert con.execute(
            f"select count(*) from '{tmp_path / 'pq' / 'deployments.parquet'}'"
        ).fetchone() == (3,)
    scenario.con = duckdb.connect(str(scenario.path))


def test_neutralise_only_touches_formula_like_text():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("\tcmd") == "'\tcmd"
    assert neutralise("\rcmd") == "'\rcmd"
    assert neutralise("+44 20") == "'+44 20"
    assert neutralise("plain") == "plain"
    assert neutralise(-5) == -5 and neutralise(2.5) == 2.5


def test_export_without_snapshot_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="dora build"):
        export(tmp_path / "none.duckdb", tmp_path / "out")
