"""`dora serve` against a real, temporary `prefect server start`: schedules registered, runs complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.client.orchestration import SyncPrefectClient

from tests.prefect_server import stop, wait_for

VENV_BIN = Path(sys.executable).parent
PIPELINE_CRON, REPORT_CRON, TIMEZONE = "*/30 * * * *", "0 8 * * 1", "Europe/Paris"


def _serve(tmp_path: Path, api: str, config: Path, db: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "GITHUB_TOKEN": "test-token",
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(tmp_path / "prefect-client"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # the runner looks for triggered runs every 10 s by default: most of this test's wait
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    return subprocess.Popen(
        [str(VENV_BIN / "dora"), "serve", "--config", str(config), "--db", str(db)],
        cwd=tmp_path,
        env=env,
        stdout=(tmp_path / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _run_to_completion(client: SyncPrefectClient, deployment_id, timeout: float):
    run = client.create_flow_run_from_deployment(deployment_id)
    return wait_for(
        lambda: (state := client.read_flow_run(run.id).state) and state.is_final() and state,
        timeout,
        f"flow run {run.name}",
    )


def test_serve_without_a_prefect_server_says_how_to_start_one(tmp_path):
    env = {**os.environ, "PREFECT_API_URL": "", "PREFECT_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [str(VENV_BIN / "dora"), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: dora serve needs a Prefect server: run `prefect server start` in another terminal "
        "and set PREFECT_API_URL=http://127.0.0.1:4200/api"
    ]


# > 60 s: a Prefect server start, the served runner, and two flow runs in their own processes
@pytest.mark.slow
def test_serve_registers_both_schedules_and_runs_them(prefect_api, tmp_path):
    from flows.demo import DEMO_CONFIG
    from simulator.generator import generate_organisation
    from simulator.server import SimulatorServer

    org = generate_organisation(seed=3, days=14, scale="tiny")
    db = tmp_path / "data" / "dora.duckdb"
    with SimulatorServer(org) as simulator:
        config = tmp_path / "dora.toml"
        # demo.toml has a [github] table already (no request pacing): the URL goes into it
        demo = DEMO_CONFIG.read_text(encoding="utf-8")
        assert demo.count("[github]\n") == 1
        config.write_text(
            demo.replace("[github]\n", f'[github]\nbase_url = "{simulator.base_url}"\n')
            + f'\n[schedule]\npipeline_cron = "{PIPELINE_CRON}"\nreport_cron = "{REPORT_CRON}"\n'
            f'timezone = "{TIMEZONE}"\n',
            encoding="utf-8",
        )
        serving = _serve(tmp_path, prefect_api, config, db)
        try:
            with SyncPrefectClient(api=prefect_api) as client:
                deployments = wait_for(
                    lambda: len(found := client.read_deployments()) == 2 and found,
                    90,
                    "both deployments",
                    serving,
                )
                by_flow = {client.read_flow(d.flow_id).name: d for d in deployments}
                assert set(by_flow) == {"dora-pipeline", "weekly-report"}
                for flow_name, cron in (
                    ("dora-pipeline", PIPELINE_CRON),
                    ("weekly-report", REPORT_CRON),
                ):
                    [schedule] = by_flow[flow_name].schedules
                    assert (schedule.schedule.cron, schedule.schedule.timezone) == (cron, TIMEZONE)
                    assert schedule.active
                assert by_flow["dora-pipeline"].parameters == {"db": str(db), "config": str(config)}

                # the served process picks up triggered runs: the pipeline ingests the simulator
                # and publishes; then the report reads that snapshot
                state = _run_to_completion(client, by_flow["dora-pipeline"].id, 240)
                assert state.is_completed(), (state, (tmp_path / "serve.log").read_text())
                assert db.with_name("dora.published.duckdb").exists()
                assert simulator.stats()["total_requests"] > 0
                state = _run_to_completion(client, by_flow["weekly-report"].id, 120)
                assert state.is_completed(), (state, (tmp_path / "serve.log").read_text())
                assert list((db.parent / "reports").glob("*.html"))
        finally:
            stop(serving)
