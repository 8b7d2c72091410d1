"""CLI overhead benchmark: `dora build` and an unchanged `dora ingest` re-sync, as a user runs
them, against the same work done in-process in a fresh interpreter (imports included).

Targets (issue #13): `dora build` <= 1.5 x the in-process build and publish (both full builds:
an unchanged database would otherwise rebuild nothing); an unchanged
`dora ingest` re-sync <= 1.5 x the in-process re-sync. Each figure is the median of --runs runs,
all in one run of this script, on the demo organisation's database.

    .venv/bin/python bench/bench_cli.py [--runs 3] [--dora PATH]

`--dora` times another `dora` executable (e.g. an older checkout's) on the same database;
`--env KEY=VALUE` adds to its environment (an older dora needed
PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=90 outside its checkout).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_RATIO = 1.5
IN_PROCESS_BUILD = (
    "import sys; from flows.build import build_and_publish; from settings.config import Settings; "
    "build_and_publish(sys.argv[1], Settings(), full=True)"
)
IN_PROCESS_RESYNC = (
    "import sys; from ingest.sync import IngestRun; from settings.config import load_settings; "
    "run = IngestRun(load_settings(sys.argv[3]), sys.argv[1], 'bench-token', base_url=sys.argv[2]); "
    "run.sync_all(['acme/*']); run.close(); assert not run.failed"
)


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command[:3]} failed: {result.stderr[-2000:]}")
    return seconds


def median_of(runs: int, command: list[str], env: dict[str, str], cwd: Path) -> float:
    return statistics.median(timed(command, env, cwd) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dora", default=str(ROOT / ".venv" / "bin" / "dora"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default="2026-11-20")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra environment"
    )
    args = parser.parse_args()

    from flows.background import Background

    work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    db = work / "data" / "dora.duckdb"
    config = work / "dora.toml"
    config.write_text("[github]\nseconds_between_requests = 0\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(GITHUB_TOKEN="bench-token", PREFECT_API_URL="", HOME=str(work / "home"))
    env.update(pair.split("=", 1) for pair in args.env)
    python = [sys.executable, "-c"]
    simulator = Background(
        "the GitHub simulator",
        [args.dora, "simulator", "--seed", str(args.seed), "--end", args.end, "--port", "0"],
    )
    try:
        assert simulator.process.stdout is not None
        url = simulator.process.stdout.readline().decode().strip()
        ingest = [args.dora, "ingest", "--repo", "acme/*", "--base-url", url, "--db", str(db),
                  "--config", str(config)]  # fmt: skip
        first = timed(ingest, env, work)
        print(f"first sync of the demo organisation: {first:.1f} s ({db})")
        figures = [
            ("dora build --full", median_of(args.runs, [args.dora, "build", "--full", "--db", str(db)], env, work),
             "build_and_publish in-process",
             median_of(args.runs, python + [IN_PROCESS_BUILD, str(db)], env, ROOT)),
            ("dora ingest (unchanged)", median_of(args.runs, ingest, env, work),
             "IngestRun.sync_all in-process",
             median_of(args.runs, python + [IN_PROCESS_RESYNC, str(db), url, str(config)],
                       env, ROOT)),
        ]  # fmt: skip
    finally:
        simulator.stop()

    print(f"\n{'command':<26}{'wall s':>8}   {'in-process':<32}{'wall s':>8}{'ratio':>8}  target")
    ok = True
    for name, cli, baseline_name, baseline in figures:
        ratio = cli / baseline
        ok &= ratio <= MAX_RATIO
        verdict = "PASS" if ratio <= MAX_RATIO else "FAIL"
        print(
            f"{name:<26}{cli:>8.2f}   {baseline_name:<32}{baseline:>8.2f}{ratio:>8.2f}  "
            f"<= {MAX_RATIO} {verdict}"
        )
    print(f"(median of {args.runs} runs each; dora = {args.dora})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
