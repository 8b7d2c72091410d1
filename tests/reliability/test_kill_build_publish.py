"""SIGKILL during build and during publish, at seeded random points: nothing is lost or half-seen.

After each round of kills a re-run must leave every built table and the published snapshot equal
to an uninterrupted build of the same raw data; all along, a reader polling the snapshot path
(as the dashboard does) must open a complete snapshot every time: never an absent, unreadable
or partial one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from fault_runs import clean_raw_copy
from figures import Figures
from kill_points import Build, dora_build_command, kill_in, kill_plan, leftovers, measure
from snapshot_reader import signature
from table_diff import compare_databases

from models.publish import publish, snapshot_path
from tests.reliability.harness import PrefectServer, base_env

BUILT_SCHEMAS = ("raw", "cfg", "ref", "int", "marts")
READER = Path(__file__).with_name("snapshot_reader.py")
# What a publish killed after its first table leaves: a staging file and an unreplayed WAL.
KILLED_MID_PUBLISH = """
import os, sys, duckdb
con = duckdb.connect()
con.execute(f"attach '{sys.argv[1]}' as s")
con.execute("create table s.main.t as select 'stale' as n")
os._exit(9)
"""


@pytest.fixture(scope="session")
def figures(request: pytest.FixtureRequest, tmp_path_factory) -> Figures:
    return Figures.for_session(request.config, tmp_path_factory.getbasetemp())


class SnapshotReader:
    """`snapshot_reader.py` in its own process, polling the snapshot of `db` until stopped."""

    def __init__(self, root: Path, db: Path, expected: dict) -> None:
        self.stop_file, self.out = root / "reader.stop", root / "reader.json"
        expected_file = root / "reader-expected.json"
        expected_file.write_text(json.dumps(expected))
        args = [snapshot_path(db), expected_file, self.stop_file, self.out]
        self.process = subprocess.Popen([sys.executable, str(READER), *map(str, args)])
        deadline = time.monotonic() + 120
        while not self.out.with_suffix(".ready").exists():
            assert self.process.poll() is None, "the snapshot reader died"
            assert time.monotonic() < deadline, "the snapshot reader never opened the snapshot"
            time.sleep(0.01)

    def stop(self) -> dict:
        self.stop_file.touch()
        try:
            self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        return json.loads(self.out.read_text())


def kill_rounds(
    tmp_path: Path,
    scale: str,
    days: int,
    seed: int,
    rounds: int,
    start: Callable[[Path], Build],
    label: str,
    figures: Figures,
) -> None:
    """Reference build; then rounds of (kill in build, kill in publish, re-run, compare)."""
    target = clean_raw_copy(scale, days, tmp_path / "target" / "dora.duckdb")
    times = measure(start(target))  # the first publish, uninterrupted: readers start after it
    # What an uninterrupted build gives: a copy of this first one, database and snapshot.
    (tmp_path / "reference").mkdir()
    reference = Path(shutil.copy(target, tmp_path / "reference"))
    shutil.copy(snapshot_path(target), tmp_path / "reference")
    with duckdb.connect(str(snapshot_path(reference)), read_only=True) as con:
        expected = signature(con)
    assert sum(rows for rows, _ in expected.values()) > 0, "an empty snapshot proves nothing"

    reader = SnapshotReader(tmp_path, target, expected)
    hits: Counter = Counter()
    rows_compared = differences = 0
    try:
        plan = kill_plan(seed, rounds, times)
        extra = kill_plan(seed + 1, 3, times)  # if the machine's pace made a phase never hit
        while plan:
            for phase, delay in plan[:2]:
                hits[kill_in(start(target), phase, delay)] += 1
            plan = plan[2:]
            if not plan and not (hits["build"] and hits["publish"]) and extra:
                plan, extra = extra, []
            assert start(target).wait() == 0, "the re-run after the kills failed"
            for expected_db, actual_db, schemas in (
                (reference, target, BUILT_SCHEMAS),
                (snapshot_path(reference), snapshot_path(target), ("main",)),
            ):
                comparison = compare_databases(expected_db, actual_db, schemas)
                assert comparison.differences == 0, comparison.report()
                rows_compared += comparison.rows_compared
                differences += comparison.differences
            assert leftovers(target) == [], "killed publishes left their staging files behind"
    finally:
        seen = reader.stop()
    assert hits["build"] and hits["publish"], f"no kill landed in one of the phases: {hits}"
    assert seen["absent"] == seen["errors"] == seen["wrong"] == 0, seen
    assert seen["complete"] > 0 and seen["swaps_seen"] > 0, seen
    figures.add(
        label,
        kills_survived=sum(hits[p] for p in ("build", "publish", "swapped")),
        kills_in_build=hits["build"],
        kills_in_publish=hits["publish"],
        kills_after_swap=hits["swapped"],
        kill_points_missed=hits["missed"],
        rows_compared=rows_compared,
        differences=differences,
        reader_opens=seen["polls"],
        reader_complete=seen["complete"],
        reader_saw_new_snapshot=seen["swaps_seen"],
        reader_absent_or_broken=seen["absent"] + seen["errors"] + seen["wrong"],
    )


def test_a_publish_killed_earlier_leaves_nothing_that_breaks_the_next_one(tmp_path):
    # A publish killed mid-way leaves `<snapshot>.<pid>.next` and its WAL; a later publish with
    # the same pid (pids are reused) must not replay that WAL into its fresh file.
    db = tmp_path / "dora.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts; create table marts.t as select range as n from range(5)")
    target = snapshot_path(db)
    for pid in (os.getpid(), 999_999_999):  # ours (reused), and one that no longer runs
        staging = target.with_name(f"{target.name}.{pid}.next")
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_MID_PUBLISH, str(staging)], capture_output=True
        )
        assert killed.returncode == 9, killed.stderr
        assert Path(f"{staging}.wal").exists()
    with duckdb.connect(str(db)) as con:
        publish(con, db)
    assert leftovers(db) == []
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*) from t").fetchone()[0] == 5


def test_sigkill_during_build_and_publish_then_rerun_equals_an_uninterrupted_build(
    tmp_path, figures
):
    kill_rounds(tmp_path, "tiny", 14, 1, 2, Build, "kills (tiny, build function)", figures)


@pytest.mark.slow
def test_soak_many_kills_during_build_and_publish_of_the_demo_org(tmp_path, figures):
    kill_rounds(tmp_path, "demo", 120, 2, 8, Build, "kills SOAK (demo, build function)", figures)


@pytest.mark.slow
def test_soak_kills_of_dora_build_itself(tmp_path, figures, prefect_server: PrefectServer):
    env = base_env(prefect_server, tmp_path / "prefect-client")
    log = (tmp_path / "dora-build.log").open("a")

    def start(db: Path) -> Build:
        return Build(
            db, dora_build_command(db), cwd=tmp_path, env=env, stdout=log, stderr=log,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    try:
        # `dora build`'s own start-up (Prefect) dominates: the tiny organisation keeps this short.
        kill_rounds(tmp_path, "tiny", 14, 3, 4, start, "kills SOAK (tiny, dora build)", figures)
    finally:
        log.close()
