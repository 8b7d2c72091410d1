"""Reliability fixtures: a tiny simulated org over HTTP, one Prefect server, `dora` in subprocesses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from flows.background import PrefectServerProcess
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.reliability.harness import PipelineRun, PrefectServer, base_env, run_pipeline


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorServer]:
    org = generate_organisation(scale="tiny", days=14, end=date(2026, 11, 20))
    with SimulatorServer(org) as server:
        yield server


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """One Prefect API server for the session, started as `dora demo` starts its own (no UI,
    an ephemeral server's services): flow runs skip the per-process server start."""
    root = tmp_path_factory.mktemp("prefect-server")
    log = root / "server.log"
    server = PrefectServerProcess(env=base_env(None, root / "home"), log=log)
    try:
        yield PrefectServer(server.wait_ready(), root / "home", log)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory,
    simulator: SimulatorServer,
    prefect_server: PrefectServer,
) -> PipelineRun:
    return run_pipeline(tmp_path_factory.mktemp("pipeline"), simulator, prefect_server)
