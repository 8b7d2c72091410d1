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
    "teams",
    "team_repositories",
    "team_scopes",
    "rolling_levels",
    "goal_status",
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


def _snapshot(tmp_path, *tables: str):
    """A working-db path whose snapshot holds `tables`, each with ('=x', -5) and ('plain', 3)."""
    db = tmp_path / "dora.duckdb"
    with duckdb.connect(str(snapshot_path(db))) as con:
        for table in tables:
            con.execute(f'create table "{table}" (name varchar, n integer)')
            con.execute(f"insert into \"{table}\" values ('=x', -5), ('plain', 3)")
    return db


def test_export_writes_exactly_one_file_per_table_and_nothing_else(tmp_path):
    db = _snapshot(tmp_path, "t", "u")
    out = tmp_path / "a" / "b"  # a new folder, parents made too
    assert [p.name for p in export(db, out, "csv")] == ["t.csv", "u.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["t.csv", "u.csv"]  # no staging left behind
    assert (out / "t.csv").read_text() == "name,n\n'=x,-5\nplain,3\n"  # no index column
    # again into the same folder: replaced, not refused
    assert [p.name for p in export(db, out, "parquet")] == ["t.parquet", "u.parquet"]
    assert sorted(p.name for p in out.iterdir()) == ["t.csv", "t.parquet", "u.csv", "u.parquet"]


def test_export_to_a_folder_with_a_quote_in_its_name(tmp_path):
    db = _snapshot(tmp_path, "t")
    out = tmp_path / "it's here"
    (written,) = export(db, out, "parquet")
    with duckdb.connect() as con:
        rows = con.execute("select * from read_parquet(?)", [str(written)]).fetchall()
    assert rows == [("=x", -5), ("plain", 3)]  # parquet keeps the text as it is


def test_export_refuses_an_unknown_format_with_the_choices(tmp_path):
    db = _snapshot(tmp_path, "t")
    with pytest.raises(ValueError) as refused:
        export(db, tmp_path / "out", "xlsx")
    assert str(refused.value) == "unknown export format 'xlsx': use parquet or csv"
    assert not (tmp_path / "out").exists()


def test_a_folder_in_the_way_stops_the_export_before_any_file_moves(tmp_path):
    db = _snapshot(tmp_path, "t", "u")
    out = tmp_path / "out"
    (out / "u.csv").mkdir(parents=True)
    with pytest.raises(IsADirectoryError) as refused:
        export(db, out, "csv")
    assert str(refused.value) == f"{out / 'u.csv'} is a folder; cannot write the export"
    assert sorted(p.name for p in out.iterdir()) == ["u.csv"]  # t.csv not moved, no staging


def test_a_failed_export_removes_the_folder_it_made_and_only_that(tmp_path):
    db = _snapshot(tmp_path, "t", "x/y")  # a table name that is no file name
    with pytest.raises(OSError):
        export(db, tmp_path / "new", "csv")
    assert not (tmp_path / "new").exists()
    (tmp_path / "mine").mkdir()
    with pytest.raises(OSError):
        export(db, tmp_path / "mine", "csv")
    assert (tmp_path / "mine").is_dir() and not any((tmp_path / "mine").iterdir())
