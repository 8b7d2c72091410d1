"""The raw store: upserts that change only what changed, atomic transactions, schema upgrades."""

from datetime import datetime

import duckdb
import pytest

from ingest.payloads import deployment_row, rows_or_skips
from ingest.store import SCHEMA_VERSION, Store


def run(repo_id: int, status: str) -> dict:
    return {
        "repo": "o/r",
        "run_id": repo_id,
        "run_attempt": 1,
        "status": status,
        "created_at": datetime(2026, 11, 1),
        "payload": f'{{"id":{repo_id},"s":"{status}"}}',
    }


def test_upsert_counts_new_and_updated_and_leaves_identical_rows(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with store.transaction() as tx:
            assert tx.upsert("workflow_runs", [run(1, "queued"), run(2, "completed")]).new == 2
        with store.transaction() as tx:
            count = tx.upsert(
                "workflow_runs", [run(1, "completed"), run(2, "completed"), run(3, "queued")]
            )
        assert (count.new, count.updated) == (1, 1)
        assert store.query("select run_id, status from raw.workflow_runs order by 1") == [
            (1, "completed"),
            (2, "completed"),
            (3, "queued"),
        ]


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.upsert("workflow_runs", [run(1, "queued")])
            tx.set_state("o/r", "runs", datetime(2026, 11, 1), {"windows": []})
            raise RuntimeError("killed")
        assert store.query("select count(*) from raw.workflow_runs") == [(0,)]
        assert store.state("o/r", "runs") == (None, {})


def test_an_older_file_is_upgraded_additively(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create schema raw; create table raw.http_etags (url varchar primary key, etag varchar, fetched_at timestamp)"
        )
        con.execute("insert into raw.http_etags values ('u', 'e', now()::timestamp)")
    with Store(path) as store:
        assert store.etag("u").etag == "e"
        assert store.query("select max(version) from raw.schema_version") == [(SCHEMA_VERSION,)]


def test_malformed_items_are_skipped_and_counted():
    rows, skipped = rows_or_skips(
        [
            {"id": 5, "created_at": "2026-11-01T10:00:00Z"},
            {"id": "x"},
            ["not", "an", "object"],
            {"id": 6, "created_at": "yesterday"},
        ],
        lambda item: deployment_row("o/r", item),
    )
    assert [r["deployment_id"] for r in rows] == [5]
    assert [s.key for s in skipped][0] == "x" and len(skipped) == 3
