"""The commit_files stream against the simulator over HTTP: the files of each non-merge commit of
a repository with path rules, one request per commit (and per further 300 files), asked once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.streams.commit_files import COMMITS_PER_TRANSACTION
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.generator.touched_files import paths
from simulator.records import RENAMED_FROM
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import FAST, sync

COMMIT_ROUTE = "/repos/{owner}/{repo}/commits/{ref}"
RULES = Settings.model_validate(
    {
        "github": {"seconds_between_requests": 0},
        # GitHub's repo name is compared case-insensitively
        "services": [{"repo": "Acme/Platform", "name": "api", "paths": ["services/api/**"]}],
    }
)


@pytest.fixture(scope="module")
def org():
    org = generate_organisation(seed=11, days=60, scale="tiny", end=date(2026, 11, 20))
    platform = org.repos["acme/platform"]
    # a module moved out of a service into shared code: GitHub lists it as `renamed`
    moved = platform.commits[platform.branches["main"]]
    moved.files = (f"libs/common/pool.py{RENAMED_FROM}services/api/app/pool.py", *moved.files)
    return org


def commit_requests(server: SimulatorServer) -> int:
    return sum(server.stats()["requests"].get(COMMIT_ROUTE, {}).values())


def stored(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def non_merge_commits(db: Path, repo: str) -> set[str]:
    return {
        sha
        for (sha,) in stored(
            db, f"select sha from raw.commits where repo = '{repo}' and len(parents) <= 1"
        )
    }


def test_the_files_of_each_non_merge_commit_of_a_repo_with_rules_once(org, tmp_path):
    db = tmp_path / "dora.duckdb"
    platform = org.repos["acme/platform"]
    with SimulatorServer(org) as server:
        sync(server.base_url, db, settings=FAST)  # no rules: not one commit is asked for
        assert commit_requests(server) == 0
        assert stored(db, "select count(*) from raw.commit_files") == [(0,)]

        server.reset()
        sync(server.base_url, db, settings=RULES)  # rules added: the stored commits backfill
        wanted = non_merge_commits(db, "acme/platform")
        rows = {sha: (status, files) for sha, status, files in stored(
            db, "select sha, status, paths from raw.commit_files where repo = 'acme/platform'"
        )}  # fmt: skip
        merges = stored(db, "select count(*) from raw.commits where len(parents) > 1")[0][0]
        assert rows.keys() == wanted and len(wanted) > 10 and merges  # merges are never asked for
        assert stored(db, "select distinct repo from raw.commit_files") == [("acme/platform",)]
        for sha, (status, files) in rows.items():
            expected = list(dict.fromkeys(paths(platform.commits[sha].files)))
            assert (status, files) == ("ok", expected), sha
        # a renamed file: its new and its previous path
        head = rows[platform.branches["main"]][1]
        assert head[:2] == ["libs/common/pool.py", "services/api/app/pool.py"]
        # one request per commit, one more for the initial import's 304 files (300 a page)
        (initial,) = [s for s, c in platform.commits.items() if c.message == "Initial commit"]
        assert stored(db, f"select file_count from raw.commit_files where sha = '{initial}'") == [
            (304,)
        ]
        assert commit_requests(server) == len(wanted) + 1

        server.reset()
        sync(server.base_url, db, settings=RULES)  # files never change: nothing asked again
        assert commit_requests(server) == 0


def test_a_first_sync_with_rules_reads_the_files_of_older_history_too(org, tmp_path):
    """Newest first, the deepen pass lists the commits behind the recent weeks; their files are
    read in that pass, not left for the next sync."""
    db = tmp_path / "dora.duckdb"
    with SimulatorServer(org) as server:
        sync(server.base_url, db, settings=RULES)
    (older,) = stored(
        db,
        "select count(*) from raw.commits where repo = 'acme/platform' and committer_date < "
        "(select max(committer_date) from raw.commits) - interval 28 days",
    )[0]
    assert older > 10  # the first pass (`first_sync_days` = 28) did not list these
    with_files = {s for (s,) in stored(db, "select sha from raw.commit_files")}
    assert with_files == non_merge_commits(db, "acme/platform")


def test_a_commit_github_no_longer_has_is_stored_as_unknown_not_asked_again(org, tmp_path):
    db = tmp_path / "dora.duckdb"
    with SimulatorServer(org) as server:
        sync(server.base_url, db, settings=FAST)
        with duckdb.connect(str(db)) as con:  # a commit of a force-pushed branch, gone since
            con.execute(
                "insert into raw.commits (repo, sha, parents) values "
                "('acme/platform', 'deadbeef00000000000000000000000000000000', [])"
            )
        sync(server.base_url, db, settings=RULES)
        assert stored(
            db,
            "select status, paths, file_count from raw.commit_files "
            "where sha = 'deadbeef00000000000000000000000000000000'",
        ) == [("not_found", None, None)]
        server.reset()
        sync(server.base_url, db, settings=RULES)
        assert commit_requests(server) == 0


def test_sigkill_mid_stream_then_rerun_stores_every_commit_once(tmp_path):
    """Killed while it reads commit files, the re-run asks only for the commits without a row
    and ends with the rows of an uninterrupted sync. Half a year of the monorepo: more commits
    than one transaction holds, so the kill lands after some were stored."""
    org = generate_organisation(seed=11, days=180, scale="tiny", end=date(2026, 11, 20))
    config = tmp_path / "dora.toml"
    config.write_text(
        # one pass (newest first would read the recent weeks' few commits apart): the kill
        # lands among the batches of one stream run
        "[github]\nseconds_between_requests = 0\nfirst_sync_days = 0\n"
        '[[services]]\nrepo = "acme/platform"\nname = "api"\npaths = ["services/api/**"]\n'
    )
    db, clean = tmp_path / "dora.duckdb", tmp_path / "clean.duckdb"
    env = os.environ | {"GITHUB_TOKEN": "test-token", "PREFECT_HOME": str(tmp_path / "prefect")}
    with SimulatorServer(org) as server:
        sync(server.base_url, clean, ("acme/platform",), settings=RULES)
        total = commit_requests(server)
        assert total > COMMITS_PER_TRANSACTION + 20  # room to kill after the first batch
        server.reset()
        command = [sys.executable, "-m", "flows.cli", "ingest", "--repo", "acme/platform",
                   "--base-url", server.base_url, "--db", str(db), "--config", str(config)]  # fmt: skip
        killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 240
        while commit_requests(server) < COMMITS_PER_TRANSACTION + 10:
            assert killed.poll() is None and time.monotonic() < deadline, "ingest ended early"
            time.sleep(0.01)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
        asked_before = commit_requests(server)
        kept = stored(db, "select count(*) from raw.commit_files")[0][0]
        assert COMMITS_PER_TRANSACTION <= kept < total  # killed mid-stream, a batch stored
        server.reset()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        # the re-run asked for the commits the killed run had not stored, and only those
        assert commit_requests(server) == total - kept
        assert asked_before >= kept
    rows = "select repo, sha, status, paths, file_count, payload from raw.commit_files order by all"
    assert stored(db, rows) == stored(clean, rows)
