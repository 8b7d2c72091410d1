"""CLI misuse not covered by test_cli_misuse: out-of-range values, a config that is a folder,
outputs that cannot be written (database, snapshot, report, demo folder), a corrupt snapshot
under the dashboard. Each is one clear line (or click's usage error), a non-zero exit, and
nothing written half-way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_cli_misuse import corrupt, one_clear_line
from test_cli_misuse import dora as dora  # noqa: F401  (the fixture: `dora` in-process)

from dashboard import SNAPSHOT_ENV
from tests.reliability.harness import TOKEN, PipelineRun, base_env, run_dora

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["dashboard", "--port", "0"], "--port"),
        (["dashboard", "--port", "70000"], "--port"),
        (["dashboard", "--port", "eighty"], "--port"),
        (["demo", "--days", "0"], "--days"),
        (["demo", "--port", "-1"], "--port"),
        (["build", "--window-days", "0"], "--window-days"),
        (["export"], "--out"),
        (["simulator", "--port", "http"], "--port"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_an_out_of_range_or_missing_value_is_a_usage_error(dora, tmp_path, args, option):
    result = dora(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert option in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, not even data/


@pytest.mark.parametrize("command", ["config", "ingest", "report", "serve", "build"])
def test_a_config_that_is_a_folder_is_one_line(dora, tmp_path, command):
    folder = tmp_path / "dora.toml"
    folder.mkdir()
    line = one_clear_line(dora(command, "--config", str(folder), GITHUB_TOKEN=TOKEN), code=2)
    assert str(folder) in line


def test_a_config_that_is_not_utf8_is_one_line(dora, tmp_path):
    config = tmp_path / "dora.toml"
    config.write_bytes(b"\xff\xfe repos = []")
    assert str(config) in one_clear_line(dora("config", "--config", str(config)), code=2)


def test_ingest_into_a_folder_that_cannot_exist_is_one_line(dora, tmp_path, simulator):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    db = blocker / "data" / "dora.duckdb"
    args = ["ingest", "--repo", "acme/web", "--base-url", simulator.base_url, "--db", str(db)]
    line = one_clear_line(dora(*args, GITHUB_TOKEN=TOKEN))
    assert str(blocker) in line
    assert blocker.read_text() == "a file, not a folder"


def test_ingest_into_a_database_that_is_a_folder_is_one_line(dora, tmp_path, simulator):
    db = tmp_path / "dora.duckdb"
    db.mkdir()
    args = ["ingest", "--repo", "acme/web", "--base-url", simulator.base_url, "--db", str(db)]
    assert str(db) in one_clear_line(dora(*args, GITHUB_TOKEN=TOKEN))
    assert list(db.iterdir()) == []


def test_build_that_cannot_publish_is_one_line_and_leaves_no_half_snapshot(
    tmp_path, pipeline: PipelineRun
):
    db = Path(shutil.copy(pipeline.db, tmp_path / "dora.duckdb"))
    before = db.read_bytes()
    blocked = tmp_path / "dora.published.duckdb"
    blocked.mkdir()  # something in the way of the snapshot
    (blocked / "keep").write_text("mine")
    env = base_env(pipeline.prefect, tmp_path / "prefect")
    result = run_dora("build", "--db", str(db), cwd=tmp_path, env=env)
    assert str(blocked) in one_clear_line(result)
    assert (blocked / "keep").read_text() == "mine"
    leftovers = {p.name for p in tmp_path.iterdir()} - {db.name, blocked.name, "prefect"}
    assert not leftovers, leftovers  # no staging file of a half-made snapshot
    assert db.read_bytes() == before


def test_report_into_an_unwritable_folder_is_one_line(dora, tmp_path, pipeline: PipelineRun):
    db = tmp_path / "dora.duckdb"
    shutil.copy(pipeline.snapshot, tmp_path / "dora.published.duckdb")
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the reports folder goes")
    line = one_clear_line(dora("report", "--db", str(db)))
    assert str(blocker) in line
    assert blocker.read_text() == "a file where the reports folder goes"


def test_demo_into_a_folder_that_cannot_exist_is_one_line(dora, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    line = one_clear_line(
        dora("demo", "--no-serve", "--days", "1", "--data-dir", str(blocker / "d"))
    )
    assert str(blocker) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_the_dashboard_on_a_corrupt_snapshot_says_so_without_an_exception(tmp_path, monkeypatch):
    snapshot = corrupt(tmp_path / "dora.published.duckdb")
    monkeypatch.setenv(SNAPSHOT_ENV, str(snapshot))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        app = AppTest.from_file(str(APP), default_timeout=60).run()
        assert not app.exception, app.exception
        shown = " ".join(str(box.value) for box in [*app.warning, *app.error, *app.info])
        # unreadable, not missing: the missing-snapshot advice would send the user to build
        # a file that is there
        assert f"The snapshot at `{snapshot}` cannot be read (" in shown, shown
        assert "No published snapshot" not in shown, shown
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
