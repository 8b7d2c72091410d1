"""Scale-out benchmark: one full pipeline cycle on a Prefect process work pool with one shard
worker and one token against the same cycle with three shard workers and three tokens.

Set-up as tests/flows/test_work_pool.py, through its harness (tests/flows/work_pool_harness.py):
a real Prefect server, a process work pool, deployments from the `prefect.yaml` that
`dora prefect-yaml` writes (3 shards), a coordinator worker on the `pipeline` queue and shard
workers on `shards` (each with `--limit 1`: one flow run at a time). Each cycle runs on a fresh
data folder; wall time is the trigger of the `dora-sharded-pipeline` flow run to its completed
state: the regular sync, build and publish, then, where a shard has history older than
`github.first_sync_days` to read, the deepen pass, build and publish. The two published snapshots
must be equal. Target (issue #16): three workers <= 0.45 x one worker.

Organisation: the simulator's `large` one (50 repositories) over 30 days, about 2,500 requests
for a full sync, so that the single-worker cycle takes minutes rather than hours on a shared
2-core machine (730 days would be some ten times more, for the same comparison).
Budgets, per token (simulator/server/credentials.py, per_credential=True): 1,100 REST requests and
1,100 GraphQL points per 120-second window. One token covers less than half of the cycle, so the
single worker spends its budget in about half a window, waits for the reset, and does so twice, as
one 5,000/h token does on an organisation that needs some 11,000 requests; each of three tokens
covers its shard (the largest, 21 repositories, needs about 1,040), as three tokens do there.

    .venv/bin/python bench/bench_scale_out.py [--days 30] [--rate-limit 1100] [--reset-seconds 120]
        [--workdir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARDS = 3
TARGET = 0.45


def run_cycle(name: str, workers: int, tokens: list[str], simulator, api: str, work: Path) -> dict:
    """Deploy on a pool of its own, start the workers, trigger one cycle and wait for its end."""
    from prefect.client.orchestration import SyncPrefectClient

    from tests.flows.work_pool_harness import deploy_pool

    pool = deploy_pool(
        work / name, api, simulator.base_url, name=f"dora-{name}", shards=SHARDS,
        shard_timeout=3600, home=work / "client-home", tokens={"GITHUB_TOKENS": ",".join(tokens)},
        github="seconds_between_requests = 0\n",
    )  # fmt: skip
    # each shard worker runs one flow run at a time (`--limit 1`): one worker runs the shards
    # one after the other, three run them at once
    pool.start_workers(workers)
    try:
        with SyncPrefectClient(api=api) as client:
            time.sleep(5)  # the workers have registered and polled once
            started = time.perf_counter()
            run = pool.trigger(client)
            state = pool.wait(client, run.id, 3600)
            wall = time.perf_counter() - started
            shard_runs = pool.shard_runs(client, run.id)
            pipeline = client.read_flow_run(run.id)
        if not state.is_completed():
            raise SystemExit(f"{name} cycle ended {state.type.value}:\n{pool.log()}")
        shards_end = max(r.end_time for r in shard_runs)
        return {
            "wall": wall,
            "shards": (shards_end - pipeline.start_time).total_seconds(),
            "build": (pipeline.end_time - shards_end).total_seconds(),
            "snapshot": pool.db.with_name("dora.published.duckdb"),
        }
    finally:
        pool.stop_workers()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rate-limit", type=int, default=1100, help="REST and GraphQL, per token")
    parser.add_argument("--reset-seconds", type=int, default=120)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()

    from simulator.generator import generate_organisation
    from simulator.server import Credentials, SimulatorServer
    from tests.prefect_server import prefect_server
    from tests.reliability.table_diff import compare_databases

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-scale-out-"))
    (work / "prefect-home").mkdir(parents=True, exist_ok=True)
    org = generate_organisation(seed=7, days=args.days, end=date(2026, 11, 20), scale="large")
    credentials = Credentials(
        args.rate_limit, args.reset_seconds, args.rate_limit, per_credential=True
    )
    print(f"large organisation ({len(org.repos)} repositories, {args.days} days); budget "
          f"{args.rate_limit} per token every {args.reset_seconds} s; work folder {work}",
          flush=True)  # fmt: skip
    cycles = {}
    with (
        contextlib.contextmanager(prefect_server)(work / "prefect-home") as api,
        SimulatorServer(org, credentials=credentials) as simulator,
    ):
        for name, workers in (("one", 1), ("three", SHARDS)):
            tokens = [f"bench-{name}-{i}" for i in range(workers)]
            before = simulator.stats()["total_requests"]  # refusals at a spent budget included
            cycles[name] = run_cycle(name, workers, tokens, simulator, api, work)
            cycles[name]["requests"] = simulator.stats()["total_requests"] - before
            print(f"  {name} worker(s): {cycles[name]['wall']:.1f} s", flush=True)

    same = compare_databases(
        cycles["one"]["snapshot"], cycles["three"]["snapshot"], schemas=("main",),
        skip=frozenset({("main", "ingest_shards")}),
    )  # fmt: skip
    ratio = cycles["three"]["wall"] / cycles["one"]["wall"]
    # shards: the pipeline run's start to its last shard's end; build: then to the published snapshot
    print(f"\n{'cycle':<28}{'wall s':>8}{'shards s':>10}{'build s':>9}{'requests':>10}")
    for name, label in (("one", "1 shard worker, 1 token"), ("three", "3 shard workers, 3 tokens")):
        c = cycles[name]
        print(f"{label:<28}{c['wall']:>8.1f}{c['shards']:>10.1f}{c['build']:>9.1f}"
              f"{c['requests']:>10,}")  # fmt: skip
    print(f"\nthree / one: {ratio:.2f}   target <= {TARGET}")
    print(f"same published snapshot: {same.differences == 0} ({same.rows_compared:,} rows compared"
          f"{'' if not same.differences else '; ' + same.report()})")  # fmt: skip
    return 0 if ratio <= TARGET and same.differences == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
