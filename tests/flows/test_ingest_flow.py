"""The `ingest` Prefect flow: one task per repo x stream, against the simulator."""

from __future__ import annotations

from datetime import date

import pytest

from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import snapshot, sync


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory):
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    store = tmp_path_factory.mktemp("prefect-results")
    with (
        prefect_test_harness(server_startup_timeout=90),
        temporary_settings(
            {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_RESULTS_LOCAL_STORAGE_PATH: store}
        ),
    ):
        yield


def test_flow_loads_what_the_plain_path_loads_and_reports_it(
    prefect_harness, tmp_path, monkeypatch
):
    from flows.ingest import set_progress_listener
    from flows.ingest_flow import ingest_flow_run

    org = generate_organisation(seed=11, days=20, scale="tiny", end=date(2026, 11, 20))
    seen: list[tuple[str, str, int]] = []
    monkeypatch.setenv("GITHUB_TOKEN", "flow-token")
    settings = Settings.model_validate(
        {"github": {"seconds_between_requests": 0, "concurrency": 3}}
    )
    with SimulatorServer(org) as server:
        set_progress_listener(lambda repo, stream, n: seen.append((repo, stream, n)))
        try:
            summary = ingest_flow_run(
                settings,
                {
                    "repos": ["acme/*"],
                    "base_url": server.base_url,
                    "db": str(tmp_path / "flow.duckdb"),
                },
            )
        finally:
            set_progress_listener(None)
        sync(server.base_url, tmp_path / "plain.duckdb")
    assert summary.ok, summary.errors
    assert summary.repos == sorted(org.repos)
    assert summary.rows["workflow_runs"].new == sum(len(r.runs) for r in org.repos.values())
    assert summary.requests > 0 and "requests" in summary.render()
    assert {(repo, stream) for repo, stream, _ in seen} >= {(r, "runs") for r in org.repos}
    assert snapshot(tmp_path / "flow.duckdb") == snapshot(tmp_path / "plain.duckdb")


def test_flow_parameters_never_carry_the_token(prefect_harness, tmp_path, monkeypatch):
    import inspect

    from flows.ingest_flow import ingest

    assert "token" not in " ".join(inspect.signature(ingest.fn).parameters)
    monkeypatch.setenv("GITHUB_TOKEN", "bad-token")
    org = generate_organisation(seed=11, days=20, scale="tiny", end=date(2026, 11, 20))
    with SimulatorServer(org) as server:
        summary = ingest(
            repos=["acme/web"], base_url=server.base_url, db=str(tmp_path / "t.duckdb")
        )
    assert summary.stopped and "GITHUB_TOKEN" in summary.stopped and not summary.ok
