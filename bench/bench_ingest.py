"""Ingest benchmark: full-sync requests vs the page minimum, re-sync charged requests, rows/s.

Runs `dora simulator` (demo scale by default) in its own process, then the `ingest` flow twice
against it, and reads the simulator's request counter. The page minimum is the sum over list
streams of ceil(items / 100), computed from the same deterministic organisation.

    .venv/bin/python bench/bench_ingest.py [--scale demo|tiny|large] [--seed 7] [--end 2026-11-20]
        [--config simulator/demo.toml]   # the demo's settings (deploy rule, path rules) instead of
                                         # the defaults; the page-minimum checks still apply
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_RATIO = 1.1  # issue 3: full sync list requests at most 1.1 x the page minimum
MAX_RESYNC = 1.0  # issue 3: about one charged request per repo x stream at most

# one definition of the page minimum and the list routes, shared with the request-count test
from tests.ingest.sim_helpers import LIST_ROUTES, page_minimum_by_route  # noqa: E402


def stats(base_url: str) -> dict:
    with urllib.request.urlopen(f"{base_url}/_simulator/stats") as response:
        return json.load(response)


def route_counts(snapshot: dict) -> Counter:
    counts: Counter = Counter()
    for route, by_status in snapshot["requests"].items():
        for status, n in by_status.items():
            counts[route, status] += n
    return counts


def ingest_once(base_url: str, db: Path, config: str | None):
    from flows.ingest import ingest_with_settings
    from settings.config import Settings, load_settings

    settings = load_settings(config) if config else Settings()
    settings.github.seconds_between_requests = 0  # a local server: no pacing
    return ingest_with_settings(settings, repos=["acme/*"], base_url=base_url, db=str(db))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="demo")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default="2026-11-20")
    parser.add_argument("--config", default=None)
    args = parser.parse_args()
    os.environ.setdefault("GITHUB_TOKEN", "bench-token")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

    from ingest.streams import STREAMS
    from simulator.org import generate_organisation

    org = generate_organisation(seed=args.seed, scale=args.scale, end=date.fromisoformat(args.end))
    minimum_by_route = page_minimum_by_route(org)
    minimum = sum(minimum_by_route.values())
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/dora"),
            "simulator",
            "--scale",
            args.scale,
            "--seed",
            str(args.seed),
            "--end",
            args.end,
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "dora.duckdb"
            before = route_counts(stats(base_url))
            full = ingest_once(base_url, db, args.config)
            middle = route_counts(stats(base_url))
            again = ingest_once(base_url, db, args.config)
            after = route_counts(stats(base_url))
    finally:
        server.terminate()
        server.wait()

    full_counts, re_counts = middle - before, after - middle
    listed = Counter()
    for (route, _), n in full_counts.items():
        if route in LIST_ROUTES:
            listed[route] += n
    list_requests = sum(listed.values())
    full_requests = sum(full_counts.values())
    streams = len(org.repos) * len(STREAMS)
    rows = sum(c.new + c.updated for c in full.rows.values())
    re_charged = sum(n for (_, status), n in re_counts.items() if status != "304")
    ratio = list_requests / minimum
    print(
        f"scale={args.scale} seed={args.seed} end={args.end}: {len(org.repos)} repos, "
        f"{sum(len(r.runs) for r in org.repos.values()):,} runs"
    )
    print(f"{'figure':<44}{'value':>12}")
    for name, value in (
        ("page minimum (list streams)", f"{minimum:,}"),
        ("full sync: list requests", f"{list_requests:,}"),
        ("full sync: list requests / page minimum", f"{ratio:.3f}"),
        ("full sync: per-item requests", f"{full_requests - list_requests:,}"),
        ("full sync: all requests", f"{full_requests:,}"),
        ("full sync: rows loaded", f"{rows:,}"),
        ("full sync: seconds (flow, indicative)", f"{full.seconds:.1f}"),
        ("full sync: rows per second (indicative)", f"{rows / full.seconds:,.0f}"),
        ("re-sync: requests", f"{sum(re_counts.values()):,}"),
        (
            "re-sync: 304 not modified",
            f"{sum(n for (_, s), n in re_counts.items() if s == '304'):,}",
        ),
        ("re-sync: charged requests", f"{re_charged:,}"),
        ("re-sync: charged per repo x stream", f"{re_charged / streams:.2f}"),
        ("re-sync: rows changed", f"{sum(c.new + c.updated for c in again.rows.values()):,}"),
    ):
        print(f"{name:<44}{value:>12}")
    print("\nfull sync list requests by route (requests / page minimum):")
    for route in LIST_ROUTES:
        print(f"  {route:<60}{listed[route]:>6} / {minimum_by_route[route]}")
    print("\nfull sync requests by route (status: count):")
    for route in sorted({r for r, _ in full_counts}):
        by_status = {s: n for (r, s), n in full_counts.items() if r == route}
        print(f"  {route:<60}{by_status}")
    print("\nre-sync requests by route (status: count):")
    for route in sorted({r for r, _ in re_counts}):
        by_status = {s: n for (r, s), n in re_counts.items() if r == route}
        print(f"  {route:<60}{by_status}")
    checks = (
        (f"full sync list requests <= {MAX_RATIO} x page minimum", ratio <= MAX_RATIO),
        (f"re-sync charged per repo x stream <= {MAX_RESYNC}", re_charged / streams <= MAX_RESYNC),
        ("re-sync changes no row", all(c.new + c.updated == 0 for c in again.rows.values())),
        ("both syncs succeeded", full.ok and again.ok),
    )
    print()
    for name, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
