"""The raw store: upserts that change only what changed, atomic transactions, schema upgrades."""

from datetime import datetime

import duckdb
import pytest

from ingest.client import GitHubClient
from ingest.payloads import deployment_row, rows_or_skips
from ingest.store import SCHEMA_VERSION, Store, StoredEtag, StoreError, check_database
from ingest.streams.base import Page, StreamContext
from settings.config import Settings


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


def test_duplicate_keys_in_one_batch_the_last_one_wins(tmp_path):
    # A page listed twice in one batch (GitHub reorders a list while it is paged): the later copy
    # is the newer one.
    with Store(tmp_path / "s.duckdb") as store:
        with store.transaction() as tx:
            fresh = tx.upsert("workflow_runs", [run(1, "queued"), run(2, "queued"), run(1, "completed")])  # fmt: skip
        with store.transaction() as tx:
            again = tx.upsert("workflow_runs", [run(2, "completed"), run(2, "in_progress")])
        assert (fresh.new, fresh.updated, again.new, again.updated) == (2, 0, 0, 1)
        assert store.query("select run_id, status, payload from raw.workflow_runs order by 1") == [
            (1, "completed", '{"id":1,"s":"completed"}'),
            (2, "in_progress", '{"id":2,"s":"in_progress"}'),
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


def test_an_etag_is_stored_only_with_the_rows_of_its_page(tmp_path):
    # an ETag without its rows would make the next sync skip that page's data on a 304
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.upsert("workflow_runs", [run(1, "queued")])
            tx.set_etag("u1", 'W/"1"', {"count": 1})
            raise RuntimeError("killed")
        with pytest.raises(duckdb.Error), store.transaction() as tx:
            tx.set_etag("u1", 'W/"1"', {"count": 1})  # set first, written at the end
            tx.upsert("workflow_runs", [run(2, "queued") | {"run_id": None}])
        assert store.etag("u1") is None
        assert store.query("select count(*) from raw.workflow_runs") == [(0,)]
        with store.transaction() as tx:
            tx.upsert("workflow_runs", [run(1, "queued")])
            tx.set_etag("u1", 'W/"0"', {"count": 0})
            tx.set_etag("u1", 'W/"1"', {"count": 1, "next": "u2"})  # the last one wins
            tx.set_etag("u2", 'W/"2"', {"count": 0})
            tx.set_etag("u3", None, {})  # no ETag, nothing to remember
        assert store.etag("u1") == StoredEtag('W/"1"', {"count": 1, "next": "u2"})
        assert store.etag("u2") == StoredEtag('W/"2"', {"count": 0})
        assert store.query("select count(*) from raw.http_etags") == [(2,)]


def test_a_streams_etags_follow_what_is_committed(tmp_path):
    base = "http://127.0.0.1:1"
    with Store(tmp_path / "s.duckdb") as store:
        with store.transaction() as tx:
            tx.set_etag(f"{base}/repos/o/r/pulls?page=1", 'W/"p"', {"count": 3})
            tx.set_etag(f"{base}/repos/o/r2/pulls", 'W/"other"', {})
        client = GitHubClient(None, base)
        ctx = StreamContext(client, store, "o/r", "runs", Settings())
        assert ctx.stored_etag(f"{base}/repos/o/r/pulls?page=1") == StoredEtag(
            'W/"p"', {"count": 3}
        )
        assert ctx.stored_etag(f"{base}/repos/o/r2/pulls") == StoredEtag('W/"other"', {})
        url = f"{base}/repos/o/r/actions/runs?per_page=100"
        page = Page(url, True, [], {"count": 1, "next": None}, 'W/"r"')
        with pytest.raises(duckdb.Error):  # the page's rows fail: neither store nor stream has it
            ctx.commit(page, {"workflow_runs": [run(2, "queued") | {"run_id": None}]})
        assert ctx.stored_etag(url) is None and store.etag(url) is None
        ctx.commit(page, {"workflow_runs": [run(2, "queued")]})
        assert (
            ctx.stored_etag(url)
            == store.etag(url)
            == StoredEtag('W/"r"', {"count": 1, "next": None})
        )
        # written by someone else outside this repo's URLs: read from the store, not the copy
        with store.transaction() as tx:
            tx.set_etag(f"{base}/repos/o/r2/pulls", 'W/"new"', {})
        assert ctx.stored_etag(f"{base}/repos/o/r2/pulls").etag == 'W/"new"'
        client.close()


def test_upsert_sees_changes_to_and_from_null_and_nothing_else(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with store.transaction() as tx:
            tx.upsert("workflow_runs", [run(1, "queued") | {"conclusion": None}, run(2, "queued")])
        with store.transaction() as tx:
            same = tx.upsert("workflow_runs", [run(1, "queued") | {"conclusion": None}])
            to_value = tx.upsert("workflow_runs", [run(1, "queued") | {"conclusion": "success"}])
            to_null = tx.upsert("workflow_runs", [run(1, "queued") | {"conclusion": None}])
        assert [(c.new, c.updated) for c in (same, to_value, to_null)] == [(0, 0), (0, 1), (0, 1)]


def test_a_file_named_raw_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "data" / "Raw.duckdb"
    message = (
        f"{path}: a database file named Raw.duckdb clashes with the schema `raw` (DuckDB names "
        "the catalog after the file); use another name, e.g. dora.duckdb"
    )
    for refuse in (check_database, Store):
        with pytest.raises(StoreError) as refused:
            refuse(path)
        assert str(refused.value) == message
    assert not (tmp_path / "data").exists()


def test_check_database_refuses_what_the_store_cannot_use_and_writes_nothing(tmp_path):
    check_database(tmp_path / "new" / "deeper" / "dora.duckdb")  # made on first use: fine
    assert list(tmp_path.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as refused:
        check_database(blocker / "sub" / "dora.duckdb")
    assert str(refused.value) == (
        f"{blocker / 'sub' / 'dora.duckdb'}: cannot create the database ({blocker} is not a folder)"
    )
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"\x00not a database" * 512)
    with pytest.raises(StoreError) as refused:
        check_database(garbage)
    assert str(refused.value) == (
        f'{garbage}: cannot open the database (IO Error: The file "{garbage}" exists, but it is '
        "not a valid DuckDB database file!)"
    )
    assert garbage.read_bytes() == b"\x00not a database" * 512


def test_a_newer_schema_is_refused_and_the_current_one_is_fine(tmp_path):
    path = tmp_path / "dora.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table plain (x int)")  # no raw schema yet: nothing to refuse
    check_database(path)
    Store(path).close()
    check_database(path)
    with duckdb.connect(str(path)) as con:
        assert con.execute("select version from raw.schema_version").fetchall() == [(SCHEMA_VERSION,)]  # fmt: skip
        con.execute("insert into raw.schema_version values (?, now()::timestamp)", [SCHEMA_VERSION + 1])  # fmt: skip
    newer = (
        f"{path}: written by raw schema version {SCHEMA_VERSION + 1}, newer than this dora's "
        f"version {SCHEMA_VERSION}; upgrade dora-pipeline (the database was left as it is)"
    )
    for refuse in (check_database, Store):
        with pytest.raises(StoreError) as refused:
            refuse(path)
        assert str(refused.value) == newer


def test_delete_counts_what_it_removed_and_skip_records_a_reason(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with store.transaction() as tx:
            tx.upsert("workflow_runs", [run(1, "queued"), run(2, "queued"), run(3, "completed")])
            assert tx.delete("workflow_runs", "repo = ? and status = ?", ["o/r", "queued"]) == 2
            assert tx.delete("workflow_runs", "repo = ?", ["elsewhere/r"]) == 0
            tx.skip("o/r", "runs", "run 9", "x" * 600)  # a reason is kept to 500 characters
            tx.skip("o/r", "runs", "run 9", "bad created_at")  # the latest reason wins
        assert store.query("select run_id from raw.workflow_runs") == [(3,)]
        assert store.query("select repo, stream, item_key, reason from raw.skipped_items") == [
            ("o/r", "runs", "run 9", "bad created_at")
        ]
        with store.transaction() as tx:
            tx.skip("o/r", "pulls", "pull 4", "y" * 600)
        (reason,) = store.query("select reason from raw.skipped_items where stream = 'pulls'")[0]
        assert reason == "y" * 500
