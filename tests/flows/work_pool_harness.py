"""Scaling out as the README's "Scaling out" section does it, step by step, for the work-pool test
and `bench/bench_scale_out.py`: a dora.toml with `[scale_out]`, `dora prefect-yaml`, a process
work pool, `prefect deploy --all`, a coordinator worker on the `pipeline` queue and shard workers
on `shards` (`--limit 1`: one shard at a time each), then cycles of `dora-sharded-pipeline`.

Needs a running Prefect server (`tests.prefect_server.prefect_server`) and a simulator.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.prefect_server import stop, wait_for

BIN = Path(sys.executable).parent
PIPELINE = "dora-sharded-pipeline/scheduled"


def prefect(*args: str, env: dict[str, str], cwd: Path) -> str:
    """Prefect's own CLI, as a user types it; its output (fails on a non-zero exit)."""
    result = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=180)  # fmt: skip
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout


@dataclass
class WorkPool:
    """A deployed process work pool in `folder` (prefect.yaml, dora.toml, workers' logs) whose
    data folder holds `db`; the workers started on it."""

    name: str
    folder: Path
    config: Path
    db: Path
    env: dict[str, str]
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self, queue: str, name: str, *extra: str) -> subprocess.Popen:
        """`prefect worker start --pool ... --work-queue queue` in its own process group (its
        flow runs are its children, in that group); logs to `<folder>/<name>.log`."""
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", self.name, "--work-queue", queue,
             "--name", name, *extra],
            env=self.env, cwd=self.folder, stdout=(self.folder / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def start_shard_worker(self, name: str) -> subprocess.Popen:
        return self.start_worker("shards", name, "--limit", "1")  # one shard run at a time

    def start_workers(self, shard_workers: int) -> None:
        """The coordinator (pipeline and report) and `shard_workers` shard workers."""
        self.start_worker("pipeline", "coordinator")
        for i in range(shard_workers):
            self.start_shard_worker(f"shards-{i}")

    def stop_workers(self) -> None:
        for worker in self.workers:
            stop(worker, signal.SIGKILL)

    def log(self, name: str = "coordinator", tail: int = 3000) -> str:
        """The end of a worker's log (its flow runs' logs included)."""
        return (self.folder / f"{name}.log").read_text(errors="replace")[-tail:]

    def trigger(self, client):
        """Start one cycle (a `dora-sharded-pipeline` flow run); the flow run."""
        deployment = client.read_deployment_by_name(PIPELINE)
        return client.create_flow_run_from_deployment(deployment.id)

    def wait(self, client, run_id, timeout: float):
        """The flow run's final state, once it has one."""
        return wait_for(
            lambda: (state := client.read_flow_run(run_id).state) and state.is_final() and state,
            timeout, f"flow run {run_id} to end",
        )  # fmt: skip

    def run_cycle(self, client, timeout: float = 300):
        """One cycle, triggered and waited for: (flow run, final state)."""
        run = self.trigger(client)
        return run, self.wait(client, run.id, timeout)

    def shard_runs(self, client, run_id) -> list:
        """The `ingest/shard` flow runs a cycle started."""
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

        return client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id])))  # fmt: skip

    def worker_of(self, pid: int) -> subprocess.Popen:
        """The worker that started process `pid` (its parent, or the leader of its group)."""
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return next(w for w in self.workers if w.pid in (parent, os.getpgid(pid)))


def deploy_pool(
    folder: Path,
    api: str,
    github_url: str,
    *,
    name: str,
    shards: int,
    shard_timeout: float,
    home: Path,
    tokens: dict[str, str],
    github: str = "",
) -> WorkPool:
    """Write dora.toml (repos `acme/*` on `github_url`, `[scale_out]`; `github`: more lines of
    `[github]`), generate prefect.yaml, create the pool and deploy, as the README says; `tokens`:
    the workers' GITHUB_TOKEN or GITHUB_TOKENS (nothing else of the caller's credentials)."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GITHUB_", "GH_"))}
    env.update(
        PREFECT_API_URL=api, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_RUNNER_POLL_FREQUENCY="1", **tokens,
    )  # fmt: skip
    config = folder / "dora.toml"
    config.write_text(
        f'repos = ["acme/*"]\n[github]\nbase_url = "{github_url}"\n{github}'
        f"[scale_out]\nshards = {shards}\n"
        f'work_pool = "{name}"\nshard_timeout_seconds = {shard_timeout}\n'
    )
    db = folder / "data" / "dora.duckdb"
    result = subprocess.run(
        [str(BIN / "dora"), "prefect-yaml", "--config", str(config), "--db", str(db)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    prefect("work-pool", "create", name, "--type", "process", env=env, cwd=folder)
    prefect("deploy", "--all", env=env, cwd=folder)
    return WorkPool(name, folder, config, db, env)


def pid_of_flow_run(run_id) -> int | None:
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
