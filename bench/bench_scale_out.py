"""Scale-out benchmark: one full pipeline cycle on a Prefect process work pool with one shard
worker and one token against the same cycle with three shard workers and three tokens.

Set-up as tests/flows/test_work_pool.py: a real Prefect server, a process work pool, deployments
from the `prefect.yaml` that `dora prefect-yaml` writes (3 shards), a coordinator worker on the
`pipeline` queue and shard workers on `shards` (the single one with `--limit 1`: one flow run at a
time). Each cycle runs on a fresh data folder; wall time is the trigger of the
`dora-sharded-pipeline` flow run to its completed state (ingest, build, publish). The two
published snapshots must be equal. Target (issue #16): three workers <= 0.45 x one worker.

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
import os
import signal
import subprocess
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
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    from tests.flows.test_work_pool import BIN, _prefect, _worker
    from tests.prefect_server import stop, wait_for

    folder = work / name
    (folder / "data").mkdir(parents=True)
    pool = f"dora-{name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GITHUB_", "GH_"))}
    env.update(
        PREFECT_API_URL=api, PREFECT_HOME=str(work / "client-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false", POOL=pool, GITHUB_TOKENS=",".join(tokens),
        PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_RUNNER_POLL_FREQUENCY="1",
    )  # fmt: skip
    config = folder / "dora.toml"
    config.write_text(
        f'repos = ["acme/*"]\n[github]\nbase_url = "{simulator.base_url}"\n'
        f"seconds_between_requests = 0\n[scale_out]\nshards = {SHARDS}\n"
        f'work_pool = "{pool}"\nshard_timeout_seconds = 3600\n'
    )
    db = folder / "data" / "dora.duckdb"
    subprocess.run(
        [str(BIN / "dora"), "prefect-yaml", "--config", str(config), "--db", str(db)],
        cwd=folder, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    _prefect("work-pool", "create", pool, "--type", "process", env=env, cwd=folder)
    _prefect("deploy", "--all", env=env, cwd=folder)
    # one shard worker runs one flow run at a time (`--limit 1`); three run three at once
    limit = ("--limit", "1") if workers == 1 else ()
    started_workers = [_worker("pipeline", "coordinator", env, folder)]
    started_workers += [
        _worker("shards", f"shards-{i}", env, folder, *limit) for i in range(workers)
    ]
    try:
        with SyncPrefectClient(api=api) as client:
            deployment = client.read_deployment_by_name("dora-sharded-pipeline/scheduled")
            time.sleep(5)  # the workers have registered and polled once
            started = time.perf_counter()
            run = client.create_flow_run_from_deployment(deployment.id)
            state = wait_for(
                lambda: (s := client.read_flow_run(run.id).state) and s.is_final() and s,
                3600, f"the {name} cycle",
            )  # fmt: skip
            wall = time.perf_counter() - started
            shard_runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))  # fmt: skip
            pipeline = client.read_flow_run(run.id)
        if not state.is_completed():
            log = (folder / "coordinator.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"{name} cycle ended {state.type.value}:\n{log}")
        shards_end = max(r.end_time for r in shard_runs)
        return {
            "wall": wall,
            "shards": (shards_end - pipeline.start_time).total_seconds(),
            "build": (pipeline.end_time - shards_end).total_seconds(),
            "snapshot": db.with_name("dora.published.duckdb"),
        }
    finally:
        for worker in started_workers:
            stop(worker, signal.SIGKILL)


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
