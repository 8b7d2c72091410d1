"""SIGKILL `dora ingest` mid-sync, run it again: the raw tables equal those of a clean sync."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import snapshot, sync

DORA = Path(sys.executable).with_name("dora")


def dora_ingest(base_url: str, db: Path, home: Path) -> subprocess.Popen:
    env = os.environ | {
        "GITHUB_TOKEN": "crash-test-token",
        "PREFECT_HOME": str(home),
        "PREFECT_LOGGING_LEVEL": "ERROR",
    }
    return subprocess.Popen(
        [str(DORA), "ingest", "--repo", "acme/*", "--base-url", base_url, "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: see the kill below
    )


def test_sigkill_mid_sync_then_rerun_equals_a_clean_sync(tmp_path):
    org = generate_organisation(seed=11, days=20, scale="tiny", end=date(2026, 11, 20))
    with SimulatorServer(org) as server:
        sync(server.base_url, tmp_path / "clean.duckdb")
        clean_requests = server.stats()["total_requests"]
        killed = dora_ingest(server.base_url, tmp_path / "dora.duckdb", tmp_path / "prefect")
        # Kill once about a third of a full sync's requests are done: mid-stream, mid-page.
        deadline = time.monotonic() + 240
        while server.stats()["total_requests"] < clean_requests * 4 // 3:
            assert killed.poll() is None, killed.communicate()
            assert time.monotonic() < deadline, "dora ingest made no progress"
            time.sleep(0.05)
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        # Prefect's temporary API server, a child of the killed process, would outlive the test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(killed.pid, signal.SIGKILL)
        rerun = dora_ingest(server.base_url, tmp_path / "dora.duckdb", tmp_path / "prefect")
        out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert "workflow_runs" in out and "requests" in out  # the one-screen summary
    assert snapshot(tmp_path / "dora.duckdb") == snapshot(tmp_path / "clean.duckdb")
