"""Build benchmark for hourly cycles at scale: an incremental build after a day of news for 10 %
of the repositories against a full build of the same database, and a build over shards.

Data: the simulator's `large` organisation (50 repositories) loaded straight into the raw tables
(bench/raw_from_org.py). Then the organisation moves on one day (`simulator.generator.advance`,
what `/_simulator/advance?days=1` does) and the raw rows of 5 repositories are replaced by their new
state, as an hourly sync that brought news for those alone. Each build runs in a fresh process
(its peak RSS is its own). Targets (issue #16): incremental <= 0.25 x full, same tables; peak
memory < 4 GB with all shards attached.

    .venv/bin/python bench/bench_build.py [--days 730] [--workdir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

SETTINGS = ROOT / "simulator" / "demo.toml"
SHARDS = 3
TOUCHED = 5  # of 50 repositories: 10 %


def measure(db: str, mode: str, shards: int) -> dict:
    """In a fresh process: one build (full, incremental, or over shards); seconds and peak RSS."""
    from bench.memory import peak_rss_gb
    from flows.build import build_models
    from flows.shards import shard_dbs
    from settings.config import load_settings

    settings = load_settings(SETTINGS)
    started = time.perf_counter()
    result = build_models(
        db, settings, full=mode == "full", shards=shard_dbs(db, shards) if shards else None
    )
    return {
        "seconds": time.perf_counter() - started,
        "models": len(result.models),
        "peak_gb": peak_rss_gb(),
    }


def in_fresh_process(db: Path, mode: str, shards: int = 0) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(db), mode, str(shards)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda m: m["seconds"])[(len(runs) - 1) // 2]


def replace_repositories(org, db: Path, repos: list[str]) -> None:
    """The raw rows of `repos` become their state in `org` (an hourly sync of those alone)."""
    from bench.raw_from_org import _load_repo
    from settings.config import load_settings

    settings = load_settings(SETTINGS)
    with duckdb.connect(str(db)) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_columns() where schema_name = 'raw' "
            "and column_name = 'repo'").fetchall()]  # fmt: skip
        for repo in repos:
            for table in tables:
                con.execute(f"delete from raw.{table} where repo = ?", [repo])
            _load_repo(con, repo, org.repos[repo], settings)


def split_into_shards(db: Path, shards: int) -> None:
    """raw-<k>.duckdb beside `db`: each shard's repositories' raw rows, as sharded ingests leave."""
    from flows.shards import shard_db, shard_of

    with duckdb.connect(str(db), read_only=True) as con:
        repos = [r for (r,) in con.execute("select repo from raw.repositories").fetchall()]
        tables = [t for (t,) in con.execute(
            "select distinct table_name from duckdb_tables() where schema_name = 'raw'"
        ).fetchall()]  # fmt: skip
    for shard in range(shards):
        members = [r for r in repos if shard_of(r, shards) == shard]
        path = shard_db(db, shard)
        path.unlink(missing_ok=True)
        with duckdb.connect(str(path)) as con:
            con.execute(f"attach '{db}' as source (read_only)")
            con.execute("create schema raw")
            for table in tables:
                has_repo = con.execute(
                    "select count(*) from duckdb_columns() where database_name = 'source' "
                    "and schema_name = 'raw' and table_name = ? and column_name = 'repo'",
                    [table],
                ).fetchone()[0]
                where = f"where repo in (select unnest({members!r}))" if has_repo else ""
                con.execute(f"create table raw.{table} as select * from source.raw.{table} {where}")
            con.execute("detach source")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        db, mode, shards = args.measure
        print(json.dumps(measure(db, mode, int(shards))))
        return 0

    from bench.raw_from_org import load_organisation
    from settings.config import load_settings
    from simulator.generator import advance, generate_organisation
    from tests.reliability.table_diff import compare_databases

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "dora.duckdb"
    # Generating and loading two years of the large organisation takes many minutes: a workdir
    # keeps both, so a rerun (after a change to the models) measures the builds alone.
    loaded, pickled = work / f"loaded-{args.days}d.duckdb", work / f"org-{args.days}d.pickle"
    if loaded.exists() and pickled.exists():
        org = pickle.loads(pickled.read_bytes())
        shutil.copy(loaded, db)
        print(f"reusing the large organisation over {args.days} days from {work}", flush=True)
    else:
        print(f"generating the large organisation over {args.days} days ...", flush=True)
        started = time.perf_counter()
        org = generate_organisation(seed=7, days=args.days, end=date(2026, 11, 20), scale="large")
        db.unlink(missing_ok=True)
        load_organisation(org, db, load_settings(SETTINGS))
        print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
        shutil.copy(db, loaded)
        pickled.write_bytes(pickle.dumps(org))
    first = in_fresh_process(db, "full")
    print(f"first (full) build: {first['seconds']:.1f} s", flush=True)

    advance(org, days=1)
    touched = sorted(org.repos)[:: len(org.repos) // TOUCHED][:TOUCHED]
    replace_repositories(org, db, touched)
    # Each measurement starts from the same state (an incremental build records what it built):
    # the median of --repeat runs of each, alternated, so a busy moment of the machine does not
    # decide the ratio.
    before, full_db = work / "before.duckdb", work / "full.duckdb"
    shutil.copy(db, before)
    incrementals, fulls = [], []
    for _ in range(args.repeat):
        shutil.copy(before, db)
        incrementals.append(in_fresh_process(db, "incremental"))
        shutil.copy(before, full_db)
        fulls.append(in_fresh_process(full_db, "full"))
    incremental, full = median_run(incrementals), median_run(fulls)
    print("incremental runs: " + ", ".join(f"{m['seconds']:.2f} s" for m in incrementals))
    print("full runs:        " + ", ".join(f"{m['seconds']:.2f} s" for m in fulls))
    same = compare_databases(full_db, db, schemas=("stg", "int", "marts"))

    sharded_db = work / "sharded" / "dora.duckdb"
    sharded_db.parent.mkdir(exist_ok=True)
    split_into_shards(full_db, SHARDS)
    for k in range(SHARDS):
        shutil.move(full_db.with_name(f"raw-{k}.duckdb"), sharded_db.with_name(f"raw-{k}.duckdb"))
    sharded = in_fresh_process(sharded_db, "full", SHARDS)

    ratio = incremental["seconds"] / full["seconds"]
    print(f"\n{'build':<34}{'seconds':>9}{'peak GB':>9}")
    print(f"{'full, after one day of news':<34}{full['seconds']:>9.1f}{full['peak_gb']:>9.2f}")
    print(f"{f'incremental ({TOUCHED} of {len(org.repos)} repos)':<34}"
          f"{incremental['seconds']:>9.1f}{incremental['peak_gb']:>9.2f}")  # fmt: skip
    print(f"{f'full over {SHARDS} shards':<34}{sharded['seconds']:>9.1f}{sharded['peak_gb']:>9.2f}")
    print(f"\nincremental / full: {ratio:.2f}   target <= 0.25")
    print(f"same tables as the full build: {same.differences == 0} "
          f"({same.rows_compared:,} rows compared{'' if not same.differences else '; ' + same.report()})")  # fmt: skip
    print(f"peak memory over shards: {sharded['peak_gb']:.2f} GB   target < 4")
    ok = ratio <= 0.25 and same.differences == 0 and sharded["peak_gb"] < 4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
