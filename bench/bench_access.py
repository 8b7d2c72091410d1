"""What per-team access costs: the check every query makes with sign-in off, building a viewer's
slice of the snapshot, and the pages' heaviest queries on the whole snapshot against a slice.

Queries run through the real query functions with the query cache emptied (what the first visitor
of a filter pays), on an organisation-sized snapshot with one extra team owning a fifth of the
repositories.

    .venv/bin/python bench/bench_access.py [--repos 50] [--days 730] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import timeit
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dashboard"))
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import streamlit as st  # noqa: E402
from snapshot_factory import END, build_large  # noqa: E402

from dashboard import AUTH_ENV, SNAPSHOT_ENV, access, data, details  # noqa: E402
from dashboard.scope import Scope  # noqa: E402

TEAM = "bench-team"


def _add_team(path: Path, repos: list[str]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("insert into teams (team, source, team_order) values (?, 'config', 9)", [TEAM])  # fmt: skip
        con.execute(
            "insert into team_repositories select ?, unnest(?::varchar[]), 'config'", [TEAM, repos]
        )


def _median_ms(run, runs: int) -> float:
    """Median wall time of `run` with Streamlit's query cache emptied before each call."""
    times = []
    st.cache_data.clear()
    run()  # warm-up: the first run of a query pays DuckDB's first reads of those columns
    for _ in range(runs):
        st.cache_data.clear()
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _signed_in(viewer: access.Viewer | None) -> None:
    """Sign-in on (as `dora dashboard` sets it) with `viewer` let in; None: sign-in off."""
    os.environ[AUTH_ENV] = "off" if viewer is None else "oidc"
    access.policy.cache_clear()
    st.session_state[access.SESSION_KEY] = viewer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dora-bench-access-") as tmp:
        config = Path(tmp) / "dora.toml"
        config.write_text(
            '[dashboard.auth]\ndiscovery_url = "https://id.example/.well-known/openid-configuration"\n'
            f'client_id = "bench"\n[[teams]]\nname = "{TEAM}"\nviewers = ["ana@example.com"]\n'
        )
        os.environ["DORA_CONFIG"] = str(config)
        path = build_large(Path(tmp) / "dora.published.duckdb", args.repos, args.days)
        repos = [f"acme/service-{n:02d}" for n in range(0, args.repos, 5)]
        _add_team(path, repos)
        os.environ[SNAPSHOT_ENV] = str(path)
        scope = Scope(None, None, "production", END - timedelta(days=89), END)
        people = {
            "sign-in off": None,
            "admin (whole)": access.Viewer("boss@example.com", True, ()),
            "team viewer (slice)": access.Viewer("ana@example.com", False, (TEAM,)),
        }

        _signed_in(None)
        per_call = min(timeit.repeat(access.restriction, number=100_000, repeat=5)) / 100_000
        print(f"sign-in off: access.restriction(), once per query: {per_call * 1e9:,.0f} ns")
        data.snapshot_info()  # opens the snapshot's reader
        _signed_in(people["team viewer (slice)"])
        access.policy()  # read once per process at start-up (dora.toml, Authlib's import)
        started = time.perf_counter()
        data.snapshot_info()
        print(f"a team's first query on a snapshot version builds its slice: {(time.perf_counter() - started) * 1000:,.1f} ms (with that query)")  # fmt: skip

        queries = {
            "period_summary": lambda: data.period_summary(scope),
            "trend": lambda: data.trend(scope),
            "deployment_list": lambda: details.deployment_list(scope),
            "slowest_changes": lambda: details.slowest_changes(scope),
        }
        header = "".join(f"{who:>22}" for who in people)
        print(f"\n{'uncached query, median of ' + str(args.runs):<32}{header}")
        for name, run in queries.items():
            cells = []
            for viewer in people.values():
                _signed_in(viewer)
                cells.append(f"{_median_ms(run, args.runs):>19.1f} ms")
            print(f"{name:<32}{''.join(cells)}")
        print(f"\n{args.repos} repositories x {args.days} days; the team's slice holds {len(repos)} of them")  # fmt: skip


if __name__ == "__main__":
    main()
