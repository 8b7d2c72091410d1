"""SIGKILL `dora ingest` at seeded random points, one kill per run, then let a run finish.

Each kill lands once a seeded random share of a clean sync's requests has been served (so it
falls mid-stream, mid-page, whatever the machine's pace). The run that finishes must leave every
raw table equal to a clean sync's (tests/ingest/test_crash_safety.py does one point in `make test`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fault_runs import organisation, serve, sync_in_process
from figures import Figures
from table_diff import SYNC_BOOKKEEPING, compare_databases

from tests.reliability.harness import DORA, PrefectServer, base_env


@pytest.fixture(scope="session")
def figures(request: pytest.FixtureRequest, tmp_path_factory) -> Figures:
    return Figures.for_session(request.config, tmp_path_factory.getbasetemp())


def start_ingest(root: Path, base_url: str, db: Path, prefect: PrefectServer) -> subprocess.Popen:
    config = root / "dora.toml"
    config.write_text(  # the settings of the clean sync (fault_runs.FAST)
        "[github]\nseconds_between_requests = 0\n"
        '[[deploy_rules]]\nworkflow = ".github/workflows/terraform-apply.yml"\n'
        'environment = "production"\n'
        '[[services]]\nrepo = "acme/platform"\nname = "api"\npaths = ["services/api/**"]\n'
    )
    env = base_env(prefect, root / "prefect-client", GITHUB_TOKEN="kill-test-token")
    log = (root / "ingest.log").open("a")
    command = [str(DORA), "ingest", "--repo", "acme/*", "--base-url", base_url, "--db", str(db)]
    return subprocess.Popen(
        [*command, "--config", str(config)], cwd=root, env=env, stdout=log, stderr=log,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.slow
def test_soak_sigkill_ingest_at_seeded_points_then_rerun_equals_a_clean_sync(
    tmp_path, figures, prefect_server: PrefectServer
):
    rng = random.Random(17)
    clean, db = tmp_path / "clean.duckdb", tmp_path / "dora.duckdb"
    kills = 0
    with serve(organisation("tiny", 14)) as server:
        assert sync_in_process(server.base_url, clean) == []
        full = server.stats()["total_requests"]
        for share in sorted(rng.uniform(0.05, 0.95) for _ in range(6)):
            served = server.stats()["total_requests"]
            ingest = start_ingest(tmp_path, server.base_url, db, prefect_server)
            # A re-run skips what is already stored (304s, cursors): aim within its own requests.
            deadline = time.monotonic() + 600
            while server.stats()["total_requests"] < served + share * full * 0.5:
                if ingest.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            if ingest.poll() is None:
                os.kill(ingest.pid, signal.SIGKILL)
            kills += ingest.wait() == -signal.SIGKILL
        final = start_ingest(tmp_path, server.base_url, db, prefect_server)
        assert final.wait(timeout=900) == 0, (tmp_path / "ingest.log").read_text()[-3000:]
    assert kills >= 4, f"only {kills} of 6 kills landed before the run ended"
    # One clean sync against several killed ones and a re-run: the ETag cache and the cursors
    # differ by history (table_diff.SYNC_BOOKKEEPING); every table of GitHub's data must not.
    comparison = compare_databases(clean, db, ("raw",), skip=SYNC_BOOKKEEPING)
    assert comparison.differences == 0, comparison.report()
    figures.add(
        "ingest kills SOAK (tiny, dora ingest)",
        kills_survived=kills,
        kills_in_ingest=kills,
        rows_compared=comparison.rows_compared,
        differences=comparison.differences,
    )
