"""A database written by another raw-schema version is upgraded in place or refused: never dropped."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from ingest.client import RetryPolicy
from ingest.store import SCHEMA_VERSION, Store, StoreError, check_database
from ingest.sync import IngestRun
from settings.config import Settings
from tests.reliability.harness import PipelineRun

DATA_TABLES = [
    "repositories", "workflows", "workflow_runs", "workflow_jobs", "deployments",
    "deployment_statuses", "environments", "commits", "pull_requests", "pull_request_commits",
    "issues", "workflow_files",
]  # fmt: skip
COMPARED_SHAS_COLUMNS = [
    "repo", "sha", "base_ref", "status", "ahead_by", "behind_by", "merge_base_sha", "fetched_at",
]  # fmt: skip
FAST = Settings.model_validate(
    {
        "github": {"seconds_between_requests": 0},
        "deploy_rules": [  # as the pipeline fixture's config: its runs' jobs are fetched
            {"workflow": ".github/workflows/terraform-apply.yml", "environment": "production"}
        ],
    }
)


def _counts(db) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in DATA_TABLES}


def _version(db) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select max(version) from raw.schema_version").fetchone()[0]


def test_a_fresh_ingest_records_the_schema_version(pipeline: PipelineRun):
    assert _version(pipeline.db) == SCHEMA_VERSION


def test_a_version_1_database_is_upgraded_in_place_by_the_next_ingest(
    tmp_path, pipeline: PipelineRun, simulator
):
    db = shutil.copy(pipeline.db, tmp_path / "dora.duckdb")
    with duckdb.connect(str(db)) as con:  # what raw_schema.sql version 1 wrote
        con.execute("alter table raw.http_etags drop column summary")
        con.execute("drop table raw.compared_shas")
        con.execute("delete from raw.schema_version")
        con.execute("insert into raw.schema_version values (1, now()::timestamp)")
    before = _counts(db)
    assert all(before.values()), before

    run = IngestRun(
        FAST, db, "test-token", base_url=simulator.base_url,
        policy=RetryPolicy(backoff_base=0.01, backoff_cap=0.05),
    )  # fmt: skip
    try:
        run.sync_all(["acme/*"])
    finally:
        run.close()

    assert _version(db) == SCHEMA_VERSION
    after = _counts(db)
    assert after == before  # nothing dropped, nothing invented (same organisation)
    with duckdb.connect(str(db), read_only=True) as con:
        columns = [c for c, *_ in con.execute("describe raw.http_etags").fetchall()]
        assert columns == ["url", "etag", "fetched_at", "summary"]
        # Re-created, and empty: the shas it caches are already in raw.commits, so none is
        # compared again.
        columns = [c for c, *_ in con.execute("describe raw.compared_shas").fetchall()]
        assert columns == COMPARED_SHAS_COLUMNS
        assert con.execute("select count(*) from raw.compared_shas").fetchone() == (0,)


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    db = tmp_path / "dora.duckdb"
    Store(db).close()
    with duckdb.connect(str(db)) as con:
        con.execute("insert into raw.schema_version values (?, now()::timestamp)", [99])
    before = db.read_bytes()
    both_versions = rf"version 99\b.*version {SCHEMA_VERSION}\b"
    with pytest.raises(StoreError, match=both_versions):
        Store(db).close()
    with pytest.raises(StoreError, match=both_versions):
        check_database(db)  # what `dora ingest` runs before starting its flow
    assert db.read_bytes() == before  # refused before any write
    with duckdb.connect(str(db), read_only=True) as con:
        versions = con.execute("select version from raw.schema_version order by 1").fetchall()
    assert versions == [(SCHEMA_VERSION,), (99,)]
