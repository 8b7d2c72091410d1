"""Scaling out, as the README's "Scaling out" section says: a real Prefect server, a process work
pool, deployments from the `prefect.yaml` that `dora prefect-yaml` writes, one coordinator and
three shard workers. One cycle's snapshot equals a single writer's; a shard worker SIGKILLed
mid-shard (with its flow run, as when its machine dies) leaves no shard file locked or
half-written, and the next cycle's snapshot equals the fault-free one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.build import build_and_publish
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import sync
from tests.prefect_server import stop, wait_for
from tests.reliability.table_diff import compare_databases

BIN = Path(sys.executable).parent
SHARDS = 3
SHARD_TIMEOUT = 45  # seconds the pipeline waits for a shard before building without it


def _prefect(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=180)  # fmt: skip
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout


def _worker(queue: str, name: str, env: dict[str, str], cwd: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", env["POOL"], "--work-queue", queue,
         "--name", name, *extra],
        env=env, cwd=cwd, stdout=(cwd / f"{name}.log").open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its flow runs are its children, in its process group
    )  # fmt: skip


def _run_cycle(client, deployment_id, timeout: float = 300):
    run = client.create_flow_run_from_deployment(deployment_id)
    return wait_for(
        lambda: (state := client.read_flow_run(run.id).state) and state.is_final() and state,
        timeout,
        "the pipeline's flow run",
    )


def _pid_of_flow_run(run_id) -> int | None:
    """The process executing a flow run (the process worker sets its id in the environment)."""
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes():
                    return int(entry.name)
            except OSError:
                continue
    return None


@pytest.mark.slow  # about 3 minutes: a server, 4 workers, 3 cycles of 4 flow-run processes
def test_a_cycle_on_a_work_pool_equals_a_single_writer_and_survives_a_dead_worker(
    tmp_path, prefect_api
):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    org = generate_organisation(seed=3, scale="tiny", days=21, end=date(2026, 11, 20))
    data = tmp_path / "data"
    data.mkdir()
    pool = f"dora-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_API_URL=prefect_api, PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false", GITHUB_TOKEN="pool-token", POOL=pool,
        PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_RUNNER_POLL_FREQUENCY="1",
    )  # fmt: skip
    workers: list[subprocess.Popen] = []
    with SimulatorServer(org) as simulator, SyncPrefectClient(api=prefect_api) as client:
        config = tmp_path / "dora.toml"
        config.write_text(
            f'repos = ["acme/*"]\n[github]\nbase_url = "{simulator.base_url}"\n'
            f"seconds_between_requests = 0.05\n[scale_out]\nshards = {SHARDS}\n"
            f'work_pool = "{pool}"\nshard_timeout_seconds = {SHARD_TIMEOUT}\n'
        )
        db = data / "dora.duckdb"
        result = subprocess.run(
            [str(BIN / "dora"), "prefect-yaml", "--config", str(config), "--db", str(db)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        _prefect("work-pool", "create", pool, "--type", "process", env=env, cwd=tmp_path)
        _prefect("deploy", "--all", env=env, cwd=tmp_path)
        pipeline = client.read_deployment_by_name("dora-sharded-pipeline/scheduled")
        try:
            workers.append(_worker("pipeline", "coordinator", env, tmp_path))
            workers += [_worker("shards", f"shards-{i}", env, tmp_path) for i in range(3)]

            # --- one cycle equals a single writer ---
            state = _run_cycle(client, pipeline.id)
            assert state.is_completed(), (state, (tmp_path / "coordinator.log").read_text()[-3000:])
            single = tmp_path / "single" / "dora.duckdb"
            sync(simulator.base_url, single)
            build_and_publish(single, Settings())
            fault_free = tmp_path / "fault-free.duckdb"
            fault_free.write_bytes(db.with_name("dora.published.duckdb").read_bytes())
            same = compare_databases(
                single.with_name("dora.published.duckdb"), fault_free, schemas=("main",),
                skip=frozenset({("main", "ingest_shards")}),
            )  # fmt: skip
            assert same.differences == 0, same.report()

            # --- a shard worker dies mid-shard, with its flow run ---
            # paced requests, so that the victim's shard is still syncing when it dies
            config.write_text(config.read_text().replace("= 0.05", "= 0.5"))
            run = client.create_flow_run_from_deployment(pipeline.id)
            shard_run = wait_for(
                lambda: next(
                    (r for r in client.read_flow_runs(flow_run_filter=FlowRunFilter(
                        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))
                     if r.state and r.state.is_running() and _pid_of_flow_run(r.id)),
                    None,
                ),
                120, "a running shard",
            )  # fmt: skip
            victim_pid = _pid_of_flow_run(shard_run.id)
            parent = int(Path(f"/proc/{victim_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            worker = next(w for w in workers[1:] if w.pid in (parent, os.getpgid(victim_pid)))
            os.killpg(worker.pid, signal.SIGKILL)
            if _pid_of_flow_run(shard_run.id):
                os.kill(victim_pid, signal.SIGKILL)
            worker.wait()
            state = wait_for(
                lambda: (s := client.read_flow_run(run.id).state) and s.is_final() and s,
                SHARD_TIMEOUT + 120, "the cycle with a dead worker",
            )  # fmt: skip
            assert state.is_completed(), state
            with duckdb.connect(str(db.with_name("dora.published.duckdb")), read_only=True) as c:
                states = dict(c.execute("select shard, ingest_state from ingest_shards").fetchall())
            assert states[shard_run.parameters["shard"]] == "late", states
            for shard in range(SHARDS):  # no shard file is left locked or half-written
                path = data / f"raw-{shard}.duckdb"
                if path.exists():
                    duckdb.connect(str(path)).execute("checkpoint").close()

            # --- the next cycle converges to the fault-free snapshot ---
            config.write_text(config.read_text().replace("= 0.5", "= 0.05"))
            workers.append(_worker("shards", "shards-replacement", env, tmp_path))
            state = _run_cycle(client, pipeline.id)
            assert state.is_completed(), state
            converged = compare_databases(
                fault_free, db.with_name("dora.published.duckdb"), schemas=("main",),
                skip=frozenset({("main", "ingest_shards")}),
            )  # fmt: skip
            assert converged.differences == 0, converged.report()
        finally:
            for worker in workers:
                stop(worker, signal.SIGKILL)
