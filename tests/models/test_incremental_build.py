"""An incremental build (only the repositories whose raw rows changed) equals a full build, row
for row, after the simulated organisation moved on; anything it cannot vouch for builds in full."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.build import build_models
from models import incremental
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import sync
from tests.reliability.table_diff import compare_databases

SCHEMAS = ("stg", "int", "marts")


@pytest.fixture(scope="module")
def moved_on(tmp_path_factory):
    """A database built once, then one repository synced again a working day later (as an
    hourly cycle in which only some repositories had news)."""
    root = tmp_path_factory.mktemp("incremental")
    org = generate_organisation(seed=5, scale="tiny", days=30, end=date(2026, 11, 24))
    db = root / "dora.duckdb"
    with SimulatorServer(org) as server:
        sync(server.base_url, db)
        build_models(db, Settings())
        before = incremental.raw_fingerprints(duckdb.connect(str(db), read_only=True))
        server.advance(1)
        sync(server.base_url, db, repos=["acme/web"])
    return root, db, before


def _plan(db):
    with duckdb.connect(str(db)) as con:
        return incremental.plan(con, incremental.runner.discover())


def test_the_build_after_new_data_rebuilds_only_the_changed_repositories(moved_on, tmp_path):
    root, db, before = moved_on
    with duckdb.connect(str(db), read_only=True) as con:
        after = incremental.raw_fingerprints(con)
    moved = sorted(r for r in after if after[r] != before.get(r))
    assert moved and len(moved) < len(after), (moved, sorted(after))  # the test means something

    incremental_db = tmp_path / "incremental.duckdb"
    full_db = tmp_path / "full.duckdb"
    shutil.copy(db, incremental_db)
    shutil.copy(db, full_db)
    plan = _plan(incremental_db)
    assert (plan.full, plan.changed) == (False, moved)
    build_models(incremental_db, Settings())
    build_models(full_db, Settings(), full=True)

    same = compare_databases(full_db, incremental_db, schemas=SCHEMAS)
    assert same.differences == 0, same.report()
    assert same.rows_compared > 500
    # and nothing is left to rebuild afterwards
    assert _plan(incremental_db).changed == []


def test_a_sync_that_changed_nothing_rebuilds_nothing_per_repository(moved_on, tmp_path):
    _, db, _ = moved_on
    copy = tmp_path / "again.duckdb"
    shutil.copy(db, copy)
    build_models(copy, Settings())
    with duckdb.connect(str(copy)) as con:  # a sync moves synced_at, and only that
        con.execute("update raw.sync_state set synced_at = synced_at + interval 1 hour")
        con.execute("update raw.workflow_files set fetched_at = fetched_at + interval 1 hour")
    plan = _plan(copy)
    assert (plan.full, plan.changed) == (False, [])


def test_history_that_moved_back_without_new_rows_shows_in_the_next_build(moved_on, tmp_path):
    """A deepen pass that found nothing older still moves a repository's history back (its
    `history` row in raw.sync_state, which no fingerprint covers): the build must say so."""
    _, db, _ = moved_on
    incremental_db, full_db = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    shutil.copy(db, incremental_db)
    build_models(incremental_db, Settings())
    with duckdb.connect(str(incremental_db)) as con:
        moved = con.execute(
            "update raw.sync_state set cursor_at = cursor_at - interval 30 day "
            "where stream = 'history' and repo = 'acme/web' returning repo"
        ).fetchall()
    assert moved == [("acme/web",)]
    shutil.copy(incremental_db, full_db)
    build_models(incremental_db, Settings())
    build_models(full_db, Settings(), full=True)
    same = compare_databases(full_db, incremental_db, schemas=SCHEMAS)
    assert same.differences == 0, same.report()


def test_new_settings_or_model_sources_rebuild_everything(moved_on, tmp_path):
    _, db, _ = moved_on
    copy = tmp_path / "settings.duckdb"
    shutil.copy(db, copy)
    build_models(copy, Settings())
    changed = Settings.model_validate({"incidents": {"attribution_window_hours": 6}})
    with duckdb.connect(str(copy)) as con:
        result, plan = incremental.build(
            con, lambda c: incremental_settings(c, changed), full=False
        )
    assert plan.full and plan.reason == "models or settings changed"


def test_a_model_that_changed_kind_since_the_last_build_replaces_it(moved_on, tmp_path):
    """A database built by an older version where a model was a table (int_units__changes, a
    view since): `create or replace view` cannot replace a table, so the build drops it first."""
    _, db, _ = moved_on
    copy = tmp_path / "older.duckdb"
    shutil.copy(db, copy)
    build_models(copy, Settings())
    with duckdb.connect(str(copy)) as con:
        con.execute("drop view int.int_units__changes")
        con.execute("create table int.int_units__changes as select 1 as unit")
    build_models(copy, Settings())
    with duckdb.connect(str(copy), read_only=True) as con:
        kinds = con.execute(
            "select table_type from information_schema.tables "
            "where table_schema = 'int' and table_name = 'int_units__changes'"
        ).fetchall()
    assert kinds == [("VIEW",)]


def incremental_settings(con, settings):
    from models.settings_tables import write_settings_tables

    write_settings_tables(con, settings)


def test_no_model_reads_what_the_fingerprints_leave_out():
    """Raw payloads are not hashed (they are most of the bytes): so no model may read them."""
    import re

    from orchestrator import estate

    sources = [m.path.read_text() for m in incremental.runner.discover() if m.path]
    sources.append(Path(estate.__file__).read_text())
    for column in incremental.UNREAD:
        assert not [s for s in sources if re.search(rf"\b{column}\b", s)], column
