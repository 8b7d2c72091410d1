"""Benchmark the SQL models: build time next to one full scan of the raw tables (the floor),
growth from half the data to all of it, peak memory, and commit ranges on long real history.

Data: the simulator's `large` organisation (~50 repos), at half its days and at all of them,
loaded straight into the raw tables (bench/raw_from_org.py: no HTTP, but the rows an ingest would
store, JSON `payload` included, so the floor is that of an ingested database).
Each build runs in a fresh process so its peak RSS is its own. Targets: build <= 10x floor, growth <= 2.2x, peak < 4 GB.

    .venv/bin/python bench/bench_models.py [--days 730] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

import duckdb  # noqa: E402

from bench.memory import peak_rss_gb  # noqa: E402

REAL_HISTORY = Path(__file__).parents[1] / "tests" / "fixtures" / "real-history" / "commits.json.gz"
SETTINGS = "simulator/demo.toml"  # the simulated organisation's dora.toml


def scan_floor(con: duckdb.DuckDBPyConnection) -> float:
    """Seconds to read every column of every raw table once."""
    started = time.perf_counter()
    tables = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'raw'"
    ).fetchall()
    for (table,) in tables:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'raw' "
                "and table_name = ?",
                [table],
            ).fetchall()
        ]
        con.execute(f"select sum(hash({', '.join(columns)})) from raw.{table}").fetchall()
    return time.perf_counter() - started


def measure(db: str) -> dict:
    """In a fresh process: floor scan, then the full build; report times and peak memory."""
    from models import runner
    from models.settings_tables import write_settings_tables
    from settings.config import load_settings

    with duckdb.connect(db) as con:
        floor = scan_floor(con)
        write_settings_tables(con, load_settings(SETTINGS))
        started = time.perf_counter()
        result = runner.build(con)
        seconds = time.perf_counter() - started
        counts = dict(
            zip(
                ["runs", "deployments", "commits"],
                con.execute(
                    "select (select count(*) from raw.workflow_runs), "
                    "(select count(*) from raw.deployments), (select count(*) from raw.commits)"
                ).fetchone(),
                strict=True,
            )
        )
    slowest = sorted(result.models, key=lambda m: -m.seconds)[:8]
    return {
        "floor": floor,
        "build": seconds,
        **counts,
        "commit_ranges": next(
            m.seconds for m in result.models if m.name == "int.int_commits__first_deployment"
        ),
        "slowest": [(m.name, round(m.seconds, 2)) for m in slowest],
        "peak_gb": peak_rss_gb(),
    }


def make_database(days: int, path: Path) -> float:
    """Generate the large organisation over `days` and load it; returns seconds spent."""
    from bench.raw_from_org import load_organisation
    from settings.config import load_settings
    from simulator.generator import generate_organisation

    started = time.perf_counter()
    org = generate_organisation(seed=7, days=days, end=date(2026, 11, 20), scale="large")
    load_organisation(org, path, load_settings(SETTINGS))
    del org
    gc.collect()
    return time.perf_counter() - started


def real_history_ranges(every: int) -> dict:
    """Commit ranges on PyGithub's real history with a deployment every `every` main commits."""
    from models import commit_ranges, runner
    from models.settings_tables import write_settings_tables
    from settings.config import Settings

    history = json.loads(gzip.decompress(REAL_HISTORY.read_bytes()))
    commits = {c["sha"]: c for c in history["commits"]}
    main, sha = [], history["head"]
    while sha:  # first-parent chain of main, newest first
        main.append(sha)
        sha = (commits[sha]["parents"] or [None])[0]
    main.reverse()
    deployed = main[::every]
    with duckdb.connect() as con:
        con.execute((Path(__file__).parents[1] / "ingest" / "raw_schema.sql").read_text())
        con.execute("create table _c (sha varchar, parents varchar[], ad timestamp)")
        con.executemany(
            "insert into _c values (?, ?, ?)",
            [(c["sha"], c["parents"], c["author"]["date_utc"][:19]) for c in history["commits"]],
        )
        con.execute(
            "insert into raw.commits (repo, sha, parents, author_date, committer_date) "
            "select 'py/github', sha, parents, ad, ad from _c"
        )
        start = datetime(2026, 1, 1)
        con.executemany(
            "insert into raw.deployments (repo, deployment_id, sha, environment, created_at) "
            "values ('py/github', ?, ?, 'production', ?)",
            [(i + 1, s, start + timedelta(hours=i)) for i, s in enumerate(deployed)],
        )
        con.executemany(
            "insert into raw.deployment_statuses (repo, status_id, deployment_id, state, "
            "created_at) values ('py/github', ?, ?, 'success', ?)",
            [(i + 1, i + 1, start + timedelta(hours=i, minutes=5)) for i in range(len(deployed))],
        )
        write_settings_tables(con, Settings())
        result = runner.build(con)
        ranges = next(m.seconds for m in result.models if m.name == commit_ranges.TABLE)
        changes = con.execute("select count(*) from marts.changes").fetchone()[0]
    return {
        "commits": len(commits),
        "deployments": len(deployed),
        "changes": changes,
        "commit_ranges": ranges,
        "build": result.seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-models-"))
    workdir.mkdir(parents=True, exist_ok=True)
    figures = {}
    for label, days in (("half", args.days // 2), ("all", args.days)):
        db = workdir / f"large-{days}d.duckdb"
        if not db.exists():
            print(f"generating and loading the large organisation over {days} days ...", flush=True)
            print(f"  {make_database(days, db):.1f} s", flush=True)
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(db)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[1],
        )
        figures[label] = json.loads(out.stdout.strip().splitlines()[-1])

    real = real_history_ranges(every=2) if REAL_HISTORY.exists() else None
    half, full = figures["half"], figures["all"]
    print()
    print(
        f"{'data':<6} {'runs':>9} {'deploys':>8} {'commits':>8} {'floor s':>8} {'build s':>8} "
        f"{'ranges s':>8} {'build/floor':>11} {'peak GB':>8}"
    )
    for label, f in figures.items():
        print(
            f"{label:<6} {f['runs']:>9,} {f['deployments']:>8,} {f['commits']:>8,} "
            f"{f['floor']:>8.2f} {f['build']:>8.2f} {f['commit_ranges']:>8.2f} "
            f"{f['build'] / f['floor']:>11.1f} {f['peak_gb']:>8.2f}"
        )
    growth = full["build"] / half["build"]
    print(
        f"\ngrowth half -> all: build x{growth:.2f} (data x{full['runs'] / half['runs']:.2f} "
        f"runs)   target <= 2.2"
    )
    print(f"build / floor (all): {full['build'] / full['floor']:.1f}   target <= 10")
    print(f"peak memory (all): {full['peak_gb']:.2f} GB   target < 4")
    print("slowest models (all):")
    for name, seconds in full["slowest"]:
        print(f"  {seconds:8.2f} s  {name}")
    if real:
        print(
            f"real history (PyGithub): {real['commits']:,} commits, {real['deployments']:,} "
            f"deployments, {real['changes']:,} changes: commit ranges "
            f"{real['commit_ranges']:.2f} s (whole build {real['build']:.2f} s)"
        )
    ok = full["build"] <= 10 * full["floor"] and growth <= 2.2 and full["peak_gb"] < 4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
