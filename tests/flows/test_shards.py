"""Sharded ingest, one merged build: the snapshot equals a single writer's, row for row, a
shard whose file is still locked keeps its last merged state instead of vanishing, and the
pipeline deepens the history its shards' files say is pending."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date

import duckdb
import pytest

from flows.build import build_and_publish
from flows.sharded import shards_to_deepen
from flows.shards import shard_db, shard_dbs, shard_of, split
from ingest import history
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import sync
from tests.reliability.table_diff import compare_databases

SHARDS = 3
LOG = logging.getLogger("tests.shards")


def test_a_repository_keeps_its_shard_whatever_else_is_added():
    repos = [f"acme/repo-{i:03d}" for i in range(200)]
    before = {repo: shard_of(repo, 5) for repo in repos[:100]}
    after = split(repos, 5)
    assert all(repo in after[shard] for repo, shard in before.items())
    assert shard_of("Acme/Web", 5) == shard_of("acme/web", 5)
    # the hash is part of the on-disk layout: changing it would move every repository
    assert [shard_of(f"acme/repo-{i:03d}", 5) for i in range(8)] == [
        shard_of(f"acme/repo-{i:03d}", 5) for i in range(8)
    ]
    assert sorted(len(s) for s in after) == sorted(len(s) for s in split(repos, 5))
    assert min(len(s) for s in after) > 20  # spread, not piled into one shard
    assert shard_db("/srv/data/dora.duckdb", 2).as_posix() == "/srv/data/raw-2.duckdb"


@pytest.fixture(scope="module")
def org():
    return generate_organisation(seed=3, scale="tiny", days=21, end=date(2026, 11, 20))


def _sharded_ingest(base_url: str, db, repos: list[str], **kwargs) -> None:
    for shard, members in enumerate(split(repos, SHARDS)):
        if members:
            sync(base_url, shard_db(db, shard), repos=members, **kwargs)


def test_one_build_over_every_shard_equals_a_single_writer(tmp_path, org):
    single = tmp_path / "single" / "dora.duckdb"
    sharded = tmp_path / "sharded" / "dora.duckdb"
    repos = sorted(org.repos)
    with SimulatorServer(org) as server:
        sync(server.base_url, single)
        _sharded_ingest(server.base_url, sharded, repos)
    assert len({shard_of(r, SHARDS) for r in repos}) > 1  # the test really splits
    build_and_publish(single, Settings())
    build_and_publish(sharded, Settings(), shards=shard_dbs(sharded, SHARDS))

    marts = compare_databases(single, sharded, schemas=("marts",),
                              skip=frozenset({("marts", "ingest_shards")}))  # fmt: skip
    assert marts.differences == 0, marts.report()
    snapshot = compare_databases(
        single.with_name("dora.published.duckdb"),
        sharded.with_name("dora.published.duckdb"),
        schemas=("main",),
        skip=frozenset({("main", "ingest_shards")}),
    )
    assert snapshot.differences == 0, snapshot.report()
    assert snapshot.rows_compared > 200
    with duckdb.connect(str(sharded.with_name("dora.published.duckdb")), read_only=True) as con:
        states = con.execute(
            "select shard, state, repos from ingest_shards order by shard"
        ).fetchall()
    plan = split(repos, SHARDS)
    assert states == [(k, "merged" if plan[k] else "missing", len(plan[k])) for k in range(SHARDS)]
    with duckdb.connect(str(single.with_name("dora.published.duckdb")), read_only=True) as con:
        assert con.execute("select count(*) from ingest_shards").fetchone() == (0,)


def test_a_shard_still_locked_by_its_writer_keeps_its_last_merged_rows(tmp_path, org):
    sharded = tmp_path / "dora.duckdb"
    repos = sorted(org.repos)
    with SimulatorServer(org) as server:
        _sharded_ingest(server.base_url, sharded, repos)
    build_and_publish(sharded, Settings(), shards=shard_dbs(sharded, SHARDS))
    snapshot = sharded.with_name("dora.published.duckdb")
    first = snapshot.with_name("first.duckdb")
    first.write_bytes(snapshot.read_bytes())

    busy = next(k for k, members in enumerate(split(repos, SHARDS)) if members)
    holder = subprocess.Popen(  # a writer that outlived its timeout holds the file's lock
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
         "time.sleep(120)", str(shard_db(sharded, busy))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        build_and_publish(
            sharded, Settings(), shards=shard_dbs(sharded, SHARDS), ingest_states={busy: "late"}
        )
    finally:
        holder.kill()
        holder.wait()
    again = compare_databases(first, snapshot, schemas=("main",),
                              skip=frozenset({("main", "ingest_shards")}))  # fmt: skip
    assert again.differences == 0, again.report()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        state, ingest_state, detail = con.execute(
            "select state, ingest_state, detail from ingest_shards where shard = ?", [busy]
        ).fetchone()
    assert (state, ingest_state) == ("kept", "late")
    assert "lock" in detail.lower()


def test_the_pipeline_deepens_the_shards_whose_files_have_older_history_to_read(
    tmp_path, org, caplog
):
    db = tmp_path / "dora.duckdb"
    repos = sorted(org.repos)
    plan = split(repos, SHARDS)
    first_week = Settings.model_validate(
        {"github": {"seconds_between_requests": 0, "first_sync_days": 7}}
    )
    completed = dict.fromkeys(range(SHARDS), "completed")
    with SimulatorServer(org) as server:
        # the regular sync of a first cycle: each shard reads its repositories' last week only
        _sharded_ingest(server.base_url, db, repos, settings=first_week, depth="recent")
        build_and_publish(db, Settings(), shards=shard_dbs(db, SHARDS), ingest_states=completed)
        assert history.pending_in(db) == []  # the build database holds no history state
        assert shards_to_deepen(db, completed, LOG) == [k for k in range(SHARDS) if plan[k]]

        late = next(k for k in range(SHARDS) if plan[k])
        with caplog.at_level(logging.INFO, logger=LOG.name):
            assert shards_to_deepen(db, {**completed, late: "late"}, LOG) == []
        assert f"shard(s) [{late}] did not complete the regular sync" in caplog.text

        _sharded_ingest(server.base_url, db, repos, settings=first_week, depth="deepen")
    assert shards_to_deepen(db, completed, LOG) == []  # history is complete everywhere


def test_each_shard_ingests_with_its_own_tokens():
    from ingest.credentials import Credential, for_shard

    tokens = [Credential(f"t{i}", f"secret-{i}") for i in range(5)]
    assert [[c.label for c in for_shard(tokens, k, 3)] for k in range(3)] == [
        ["t0", "t3"],
        ["t1", "t4"],
        ["t2"],
    ]
    two = tokens[:2]
    assert [[c.label for c in for_shard(two, k, 3)] for k in range(3)] == [["t0"], ["t1"], ["t0"]]
    assert for_shard(tokens, 0, 1) == tokens
