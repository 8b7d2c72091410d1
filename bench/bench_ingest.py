"""Ingest benchmark: what a sync costs in GitHub's units, and how credentials shorten it.

1. Demo organisation: a full sync's charged units (REST requests that are not 304, plus GraphQL
   points) against the REST page minimum (the sum over list streams of ceil(items / 100)), split
   per route; then an unchanged re-sync's charged units per repository.
2. Large organisation (50 repositories), `--days` D and 3 x D, unlimited budget: units per
   repository-year (the difference of the two syncs, so per-repository costs drop out) and per
   repository (fixed); on the longer one, an unchanged re-sync and a re-sync after one more day
   of activity. These make the README's sizing table (printed at the end, arithmetic shown).
3. Large organisation, D days, budgets per credential (`dora simulator --per-credential-budgets`)
   so small that one credential's budget covers a tenth of the sync and is whole again only half
   a sync's work later: the full sync with one credential, then with four (GITHUB_TOKENS), each
   timed with its budget waits.

    .venv/bin/python bench/bench_ingest.py [--seed 7] [--end 2026-11-20] [--days 7]
        [--demo-only]                    # part 1 only
        [--config simulator/demo.toml]   # part 1 with the demo's settings (deploy rule, path
                                         # rules) instead of the defaults; the checks still apply
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_runs import Sync, simulator, sync  # noqa: E402
from tests.ingest.sim_helpers import LIST_ROUTES, page_minimum_by_route  # noqa: E402

MAX_UNITS_RATIO = 4.0  # issue 15: a full demo sync <= 4 x the REST page minimum, in charged units
MAX_RESYNC_PER_REPO = 10  # issue 15: an unchanged re-sync <= 10 charged units per repository
MAX_TIME_RATIO = 0.35  # issue 15: four credentials finish in <= 0.35 x one credential's time
CREDENTIALS = 4
WINDOWS = 10  # one credential's budget covers a tenth of the large sync
HOURLY = 5000  # GitHub, per credential and hour: REST requests, and GraphQL points apart
SIZES = (50, 500, 5000)
ONE = {"GITHUB_TOKEN": "bench-one"}
FOUR = {"GITHUB_TOKENS": ",".join(f"bench-{i}" for i in range(1, CREDENTIALS + 1))}


def show(rows: list[tuple[str, object]]) -> None:
    for name, value in rows:
        print(f"  {name:<58}{value:>14}")


# --- 1. Demo organisation: charged units of a full sync and of an unchanged re-sync ---


def demo(args: argparse.Namespace, root: Path) -> list[tuple[str, bool]]:
    from simulator.generator import generate_organisation

    org = generate_organisation(seed=args.seed, scale="demo", end=date.fromisoformat(args.end))
    minimum = page_minimum_by_route(org)
    page_minimum = sum(minimum.values())
    repos = len(org.repos)
    with simulator("--scale", "demo", "--seed", str(args.seed), "--end", args.end) as server:
        full = sync(server, root / "demo.duckdb", ONE, config=args.config)
        again = sync(server, root / "demo.duckdb", ONE, config=args.config)
    listed = sum(n for route, n in full.cost.by_route().items() if route in LIST_ROUTES)
    settings = args.config or "default settings"
    print(
        f"\n1. demo organisation (seed {args.seed}, end {args.end}, {settings}): {repos} repositories"
    )
    show([
        ("REST page minimum (list streams)", f"{page_minimum:,}"),
        ("full sync: REST requests (all)", f"{full.cost.rest:,}"),
        ("full sync: REST requests charged (not 304, not /rate_limit)", f"{full.cost.charged_rest:,}"),
        ("full sync: GraphQL points", f"{full.cost.points:,}"),
        ("full sync: charged units", f"{full.cost.units:,}"),
        ("full sync: charged units / page minimum", f"{full.cost.units / page_minimum:.2f}"),
        ("full sync: charged list requests / page minimum", f"{listed / page_minimum:.2f}"),
        ("full sync: seconds (in-process, indicative)", f"{full.seconds:.1f}"),
        ("re-sync: requests (304 included)", f"{again.cost.rest:,}"),
        ("re-sync: charged units", f"{again.cost.units:,}"),
        ("re-sync: charged units per repository", f"{again.cost.units / repos:.2f}"),
        ("re-sync: rows changed", f"{sum(c.new + c.updated for c in again.summary.rows.values()):,}"),
    ])  # fmt: skip
    print("  full sync, charged REST requests per route (page minimum):")
    for route, n in sorted(full.cost.by_route().items(), key=lambda x: -x[1]):
        floor = f" ({minimum[route]})" if route in minimum else ""
        print(f"    {route:<62}{n:>7}{floor}")
    print(f"    {'/graphql (points: deployment statuses, pull-request commits)':<62}"
          f"{full.cost.points:>7}")  # fmt: skip
    return [
        (
            f"demo full sync: charged units <= {MAX_UNITS_RATIO} x REST page minimum",
            full.cost.units <= MAX_UNITS_RATIO * page_minimum,
        ),
        (
            f"demo re-sync: <= {MAX_RESYNC_PER_REPO} charged units per repository",
            again.cost.units <= MAX_RESYNC_PER_REPO * repos,
        ),
        ("demo re-sync changes no row", all(c.new + c.updated == 0 for c in again.summary.rows.values())),
        ("demo syncs succeeded", full.summary.ok and again.summary.ok),
    ]  # fmt: skip


# --- 2. Large organisation: units per repository-year, per repository, per hourly sync ---


def large(args: argparse.Namespace, days: int, *extra: str):
    return simulator(
        "--scale", "large", "--seed", str(args.seed), "--end", args.end, "--days", str(days),
        *extra,
    )  # fmt: skip


def sizing(args: argparse.Namespace, root: Path) -> tuple[Sync, list[tuple[str, bool]]]:
    short, long = args.days, 3 * args.days
    with large(args, short) as server:
        first = sync(server, root / "short.duckdb", ONE)
    with large(args, long) as server:
        second = sync(server, root / "long.duckdb", ONE)
        idle = sync(server, root / "long.duckdb", ONE)
        server.advance(1)
        day = sync(server, root / "long.duckdb", ONE)
    repos = len(first.summary.repos)
    repo_years = repos * (long - short) / 365
    rest_year = (second.cost.charged_rest - first.cost.charged_rest) / repo_years
    points_year = (second.cost.points - first.cost.points) / repo_years
    rest_fixed = first.cost.charged_rest / repos - rest_year * short / 365
    points_fixed = first.cost.points / repos - points_year * short / 365
    hourly_rest, hourly_points = day.cost.charged_rest / repos, day.cost.points / repos
    print(f"\n2. large organisation: {repos} repositories, {short} and {long} days, one credential")
    show([
        (f"full sync, {short} days: charged REST / GraphQL points", f"{first.cost.charged_rest:,} / {first.cost.points:,}"),
        (f"full sync, {short} days: seconds (in-process, indicative)", f"{first.seconds:.0f}"),
        (f"full sync, {long} days: charged REST / GraphQL points", f"{second.cost.charged_rest:,} / {second.cost.points:,}"),
        ("per repository-year: REST requests", f"{rest_year:,.0f}"),
        ("per repository-year: GraphQL points", f"{points_year:,.1f}"),
        ("per repository, once (first sync): REST requests", f"{rest_fixed:,.1f}"),
        ("per repository, once (first sync): GraphQL points", f"{points_fixed:,.1f}"),
        ("unchanged re-sync: charged units per repository", f"{idle.cost.units / repos:.2f}"),
        ("re-sync after a day of activity: REST per repository", f"{hourly_rest:.2f}"),
        ("re-sync after a day of activity: points per repository", f"{hourly_points:.2f}"),
    ])  # fmt: skip
    print("\n  sizing (GitHub: 5,000 requests and 5,000 GraphQL points per credential and hour):")
    print("  an hourly sync costs at most what a day's activity costs to read (the list heads")
    print(f"  and the items behind them): {hourly_rest:.1f} requests and {hourly_points:.1f} "
          "points per repository")  # fmt: skip
    year_rest, year_points = rest_fixed + rest_year, points_fixed + points_year
    print(f"  {'repositories':>12}  {'hourly sync':>24}  {'credentials':<30}"
          f"{'a year of history':>34}")  # fmt: skip
    for n in SIZES:
        need = max(math.ceil(n * hourly_rest / HOURLY), math.ceil(n * hourly_points / HOURLY), 1)
        backfill = n * year_rest / (HOURLY * need)
        print(
            f"  {n:>12,}  {f'{n * hourly_rest:,.0f} req + {n * hourly_points:,.0f} pt':>24}  "
            f"{f'{need} (= ceil({n * hourly_rest:,.0f} / {HOURLY:,}))':<30}"
            f"{f'{n * year_rest:,.0f} req = {backfill:,.1f} h on {need}':>34}"
        )
    print(f"  (a year of history per repository: {year_rest:,.0f} requests and "
          f"{year_points:,.0f} points, per-repository costs included)")  # fmt: skip
    checks = [("large syncs succeeded", all(s.summary.ok for s in (first, second, idle, day)))]
    return first, checks


# --- 3. Four credentials against one, on budgets of their own ---


def credentials(args: argparse.Namespace, root: Path, unlimited: Sync) -> list[tuple[str, bool]]:
    rest = math.ceil(unlimited.cost.charged_rest / WINDOWS) + 1  # +1: the free /rate_limit
    points = max(math.ceil(unlimited.cost.points / WINDOWS), 2)
    reset = max(2, round(unlimited.seconds / 2))  # whole again after half a sync's work
    budgets = (
        "--per-credential-budgets", "--rate-limit", str(rest), "--graphql-rate-limit",
        str(points), "--rate-reset-seconds", str(reset),
    )  # fmt: skip
    with large(args, args.days, *budgets) as server:
        one = sync(server, root / "one.duckdb", ONE)
        four = sync(server, root / "four.duckdb", FOUR)
    ratio = four.seconds / one.seconds
    print(f"\n3. large organisation, {args.days} days: budgets of {rest} requests and {points} "
          f"points per credential, whole again every {reset} s")  # fmt: skip
    show([
        ("one credential: seconds (budget waits included)", f"{one.seconds:.0f}"),
        ("one credential: seconds waited (summed over workers)", f"{one.summary.waited_seconds:.0f}"),
        (f"{CREDENTIALS} credentials: seconds (budget waits included)", f"{four.seconds:.0f}"),
        (f"{CREDENTIALS} credentials: seconds waited (summed over workers)", f"{four.summary.waited_seconds:.0f}"),
        (f"{CREDENTIALS} credentials / one credential", f"{ratio:.2f}"),
        ("charged units: one / four credentials", f"{one.cost.units:,} / {four.cost.units:,}"),
    ])  # fmt: skip
    return [
        (f"{CREDENTIALS} credentials finish in <= {MAX_TIME_RATIO} x one's time", ratio <= MAX_TIME_RATIO),
        ("credential syncs succeeded", one.summary.ok and four.summary.ok),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default="2026-11-20")
    parser.add_argument("--days", type=int, default=7, help="large organisation's shorter history")
    parser.add_argument(
        "--config", default=None, help="dora.toml for the demo organisation's syncs"
    )
    parser.add_argument("--demo-only", action="store_true", help="part 1 only")
    args = parser.parse_args()
    logging.getLogger("dora").setLevel(logging.ERROR)  # the budget waits of part 3 are expected
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        checks = demo(args, root)
        if not args.demo_only:
            unlimited, more = sizing(args, root)
            checks += more + credentials(args, root, unlimited)
    print()
    for name, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
