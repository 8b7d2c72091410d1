"""The `build` flow and the `dora build` / `dora export` commands on a small real DuckDB file."""

from pathlib import Path

import duckdb
import pytest
from prefect.settings import (
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_RESULTS_LOCAL_STORAGE_PATH,
    temporary_settings,
)
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from flows.build import build_and_publish
from flows.build_flow import build
from flows.cli import app
from models.publish import snapshot_path
from settings.config import Settings

RAW_SCHEMA = Path(__file__).parents[2] / "ingest" / "raw_schema.sql"
MODELS = Path(__file__).parents[2] / "models"


@pytest.fixture(scope="module", autouse=True)
def prefect_harness(tmp_path_factory):
    store = tmp_path_factory.mktemp("prefect-results")
    with prefect_test_harness(server_startup_timeout=90), temporary_settings({
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH: store,
    }):  # fmt: skip
        yield


@pytest.fixture
def raw_db(tmp_path) -> Path:
    """Two production deployments of a two-commit history, 2 h apart."""
    db = tmp_path / "dora.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(RAW_SCHEMA.read_text())
        con.execute("""
            insert into raw.repositories (repo, html_url) values ('acme/api', 'https://x/acme/api');
            insert into raw.commits (repo, sha, parents, author_date, message) values
                ('acme/api', 'a', [], '2026-03-01 08:00', 'first'),
                ('acme/api', 'b', ['a'], '2026-03-02 08:00', '=cmd|calc');
            insert into raw.deployments (repo, deployment_id, sha, environment, created_at) values
                ('acme/api', 1, 'a', 'production', '2026-03-01 09:00'),
                ('acme/api', 2, 'b', 'production', '2026-03-02 09:00');
            insert into raw.deployment_statuses
                (repo, status_id, deployment_id, state, created_at) values
                ('acme/api', 11, 1, 'success', '2026-03-01 09:10'),
                ('acme/api', 21, 2, 'success', '2026-03-02 10:00');
        """)
    return db


def test_build_flow_builds_tests_and_publishes(raw_db):
    published = build(db=str(raw_db), config=None, window_days=30)
    assert Path(published) == snapshot_path(raw_db)
    with duckdb.connect(published, read_only=True) as con:
        # change b: authored 08:00, deployed 10:00
        assert con.execute("select sha, lead_time_seconds from changes").fetchall() == [("b", 7200)]
        assert con.execute("select window_days from snapshot_info").fetchone() == (30,)


def test_build_and_publish_is_a_plain_function_too(raw_db):
    summary = build_and_publish(raw_db, Settings())
    # every SQL file of the three layers, plus the two Python models (commit ranges, orchestration)
    layers = [p for layer in ("staging", "intermediate", "marts") for p in (MODELS / layer).glob("*.sql")]  # fmt: skip
    assert summary.models == len(layers) + 2
    assert summary.tests == len(list((MODELS / "tests").glob("*.sql")))
    assert summary.snapshot == snapshot_path(raw_db)


def test_cli_build_then_export_csv(raw_db, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app, ["build", "--db", str(raw_db), "--as-of", "2026-03-03T00:00Z", "--window-days", "7"]
    )
    assert result.exit_code == 0, result.output
    assert "published" in result.output
    out = tmp_path / "export"
    result = runner.invoke(
        app, ["export", "--out", str(out), "--format", "csv", "--db", str(raw_db)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "deployments.csv").exists() and (out / "dora_summary.csv").exists()
    assert "'=cmd|calc" in (out / "changes.csv").read_text()


def test_cli_rejects_a_bad_as_of_and_a_missing_database(raw_db, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["build", "--db", str(raw_db), "--as-of", "yesterday"])
    assert result.exit_code == 2 and "--as-of" in result.output
    result = runner.invoke(app, ["build", "--db", str(tmp_path / "missing.duckdb")])
    assert result.exit_code == 1 and "dora ingest" in result.output
    result = runner.invoke(
        app, ["export", "--out", str(tmp_path), "--db", str(tmp_path / "missing.duckdb")]
    )
    assert result.exit_code == 1 and "dora build" in result.output
