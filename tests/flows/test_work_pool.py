"""Scaling out, as the README's "Scaling out" section says (`work_pool_harness`): a real Prefect
server, a process work pool, deployments from the `prefect.yaml` that `dora prefect-yaml` writes,
one coordinator and three shard workers. One cycle (the regular sync of each shard's last week,
then its older history) equals a single writer's snapshot; a shard worker SIGKILLed while its
shard is blocked inside a request (with its flow run, as when its machine dies) leaves no shard
file locked or half-written, and the next cycle's snapshot equals the fault-free one."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from datetime import date

import duckdb
import pytest

from flows.build import build_and_publish
from flows.shards import shard_db, split
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.flows.work_pool_harness import deploy_pool, pid_of_flow_run
from tests.ingest.sim_helpers import sync
from tests.prefect_server import wait_for
from tests.reliability.table_diff import compare_databases

SHARDS = 3
SHARD_TIMEOUT = 45  # seconds the pipeline waits for a shard before building without it
FIRST_SYNC_DAYS = 7  # of 21: the first cycle publishes a week, then deepens the rest
HELD_ROUTE = "/repos/{owner}/{repo}/actions/runs"  # every regular sync asks it of every repo


def _same_snapshot(expected, actual) -> None:
    diff = compare_databases(expected, actual, schemas=("main",),
                             skip=frozenset({("main", "ingest_shards")}))  # fmt: skip
    assert diff.differences == 0, diff.report()


@pytest.mark.slow  # about 3 minutes: a server, 4 workers, 3 cycles of 4 flow-run processes
def test_a_cycle_on_a_work_pool_equals_a_single_writer_and_survives_a_dead_worker(
    tmp_path, prefect_api
):
    from prefect.client.orchestration import SyncPrefectClient

    org = generate_organisation(seed=3, scale="tiny", days=21, end=date(2026, 11, 20))
    with SimulatorServer(org) as simulator, SyncPrefectClient(api=prefect_api) as client:
        pool = deploy_pool(
            tmp_path, prefect_api, simulator.base_url, name=f"dora-{uuid.uuid4().hex[:8]}",
            shards=SHARDS, shard_timeout=SHARD_TIMEOUT, home=tmp_path / "prefect-home",
            tokens={"GITHUB_TOKEN": "pool-token"},
            github=f"seconds_between_requests = 0.05\nfirst_sync_days = {FIRST_SYNC_DAYS}\n",
        )  # fmt: skip
        published = pool.db.with_name("dora.published.duckdb")
        try:
            pool.start_workers(SHARDS)

            # --- one cycle, history deepened, equals a single writer ---
            _, state = pool.run_cycle(client)
            assert state.is_completed(), (state, pool.log())
            assert "repos reach back less than wanted" in pool.log(tail=10**6)  # it did deepen
            single = tmp_path / "single" / "dora.duckdb"
            first_week = {"seconds_between_requests": 0, "first_sync_days": FIRST_SYNC_DAYS}
            sync(
                simulator.base_url, single, settings=Settings.model_validate({"github": first_week})
            )
            build_and_publish(single, Settings())
            fault_free = tmp_path / "fault-free.duckdb"
            fault_free.write_bytes(published.read_bytes())
            _same_snapshot(single.with_name("dora.published.duckdb"), fault_free)

            # --- a shard worker dies while its shard is blocked inside a request ---
            plan = split(sorted(org.repos), SHARDS)
            victim = next(shard for shard in range(SHARDS) if plan[shard])
            with simulator.hold(plan[victim][0], HELD_ROUTE) as hold:
                run = pool.trigger(client)
                assert hold.wait_held(120), pool.log()
                shard_run = wait_for(
                    lambda: next(
                        (r for r in pool.shard_runs(client, run.id)
                         if r.parameters["shard"] == victim and pid_of_flow_run(r.id)),
                        None,
                    ),
                    30, "the held shard's flow-run process",
                )  # fmt: skip
                victim_pid = pid_of_flow_run(shard_run.id)
                worker = pool.worker_of(victim_pid)
                os.killpg(worker.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim_pid, signal.SIGKILL)  # were it outside the worker's group
                worker.wait()
                wait_for(lambda: pid_of_flow_run(shard_run.id) is None, 30, "the run's death")
            state = pool.wait(client, run.id, SHARD_TIMEOUT + 120)
            assert state.is_completed(), (state, pool.log())
            assert "not deepening history this cycle" in pool.log(tail=10**6)
            with duckdb.connect(str(published), read_only=True) as con:
                states = dict(
                    con.execute("select shard, ingest_state from ingest_shards").fetchall()
                )
            assert states[victim] == "late", states
            for shard in range(SHARDS):  # no shard file is left locked or half-written
                path = shard_db(pool.db, shard)
                if path.exists():
                    duckdb.connect(str(path)).execute("checkpoint").close()

            # --- the next cycle, with a replacement worker, converges to the fault-free one ---
            pool.start_shard_worker("shards-replacement")
            _, state = pool.run_cycle(client)
            assert state.is_completed(), (state, pool.log())
            _same_snapshot(fault_free, published)
        finally:
            pool.stop_workers()
