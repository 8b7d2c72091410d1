"""Ingest through every fault at once converges to exactly the fault-free database, row for row.

The simulator injects 5xx, secondary-limit 403, 429, connection resets mid-body, slow responses
and primary-limit exhaustion (seeded). After `build`, every raw, config, reference, intermediate
and mart table, and every table of the published snapshot, must equal the fault-free run's.
The faults are counted from the simulator's own stats, so a run that met none cannot pass.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from fault_runs import (
    DATA_TABLES,
    FaultCount,
    organisation,
    remember_clean,
    serve,
    sync_in_process,
)
from figures import Figures
from table_diff import SYNC_BOOKKEEPING, Comparison, compare_databases

from flows.build import build_and_publish
from ingest.credentials import Credential, CredentialPool
from models.publish import snapshot_path
from settings.config import Settings
from simulator.server import Credentials, FaultSpec
from tests.reliability.harness import PrefectServer, base_env, run_dora

BUILT_SCHEMAS = ("raw", "cfg", "ref", "int", "marts")
# Each kind at 5-7% per request: about a third of all requests meet a fault.
FAST_FAULTS = "5xx=0.07,403=0.06,429=0.06,reset=0.07,slow=0.06,primary=0.05,graphql=0.4,seed=3"
# `make soak`: higher rates, the demo organisation, the real CLI with its real backoff.
SOAK_FAULTS = "5xx=0.10,403=0.08,429=0.08,reset=0.10,slow=0.08,primary=0.02,graphql=0.3,seed=5"
MAX_RUNS = 3  # a stream that outlasted every retry is re-run, as the hourly schedule would


@pytest.fixture(scope="session")
def figures(request: pytest.FixtureRequest, tmp_path_factory) -> Figures:
    return Figures.for_session(request.config, tmp_path_factory.getbasetemp())


def test_a_primary_fault_spends_the_budget_until_the_window_resets():
    with serve(organisation("tiny", 14), faults=FaultSpec.parse("primary=1,seed=1")) as server:
        try:
            urllib.request.urlopen(f"{server.base_url}/repos/acme/web", timeout=10)
            raise AssertionError("expected the primary-limit 403")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
            assert exc.headers["X-RateLimit-Remaining"] == "0"
            assert 0 < int(exc.headers["X-RateLimit-Reset"]) - time.time() <= 2  # 1 s, rounded up
            assert "API rate limit exceeded" in json.loads(exc.read())["message"]
        assert FaultCount.of(server.stats()).primary_403s == 1


def assert_converged(clean: Path, faulty: Path, runs: int) -> dict[str, int]:
    """Same tables and rows in the built databases and in the published snapshots; the figures."""
    # After more than one ingest run the sync's bookkeeping differs by history, not by data.
    skip = SYNC_BOOKKEEPING if runs > 1 else frozenset()
    built = compare_databases(clean, faulty, BUILT_SCHEMAS, skip=skip)
    assert built.differences == 0, built.report()
    published = compare_databases(snapshot_path(clean), snapshot_path(faulty), ("main",))
    assert published.differences == 0, published.report()
    with duckdb.connect(str(clean), read_only=True) as con:
        empty = [
            t for t in DATA_TABLES if not con.execute(f"select count(*) from raw.{t}").fetchone()[0]
        ]
    assert not empty, f"raw tables without rows prove nothing: {empty}"
    assert published.rows_compared > 0, "an empty snapshot proves nothing"
    return convergence_figures(runs, built, published)


def convergence_figures(runs: int, built: Comparison, published: Comparison) -> dict[str, int]:
    return {
        "ingest_runs": runs,
        "rows_compared": built.rows_compared + published.rows_compared,
        "tables_compared": len(built.tables) + len(published.tables),
        "differences": built.differences + published.differences,
    }


def assert_every_fault_met(count: FaultCount, sequential: bool = False) -> None:
    assert all(count.by_kind.values()), count.by_kind
    # Every primary fault spends the budget, and the request it was drawn for is refused, unless
    # its answer is free (a 304, /rate_limit: served even on a spent budget, as on GitHub; the
    # simulator counts those). Other requests meeting the spent budget are refused too, so the
    # refusals are at least the faults on paid requests; exactly those when one request is out
    # at a time (the client waits past the reset, or goes on with another credential).
    charged = count.by_kind["primary"] - count.primary_free
    assert charged > 0, count
    if sequential:
        assert count.primary_403s == charged, count
    else:
        assert count.primary_403s >= charged, count


def clean_sync(org, db: Path) -> int:
    """The fault-free sync; the port it was served on (the faulty server takes the same)."""
    with serve(org) as server:
        assert sync_in_process(server.base_url, db) == []
        return int(server.base_url.rsplit(":", 1)[1])


def sync_until_done(sync: Callable[[], list[str]]) -> int:
    """Ingest runs until one ends without a stream error, as the hourly schedule would."""
    runs = 1
    while errors := sync():
        assert runs < MAX_RUNS, errors
        runs += 1
    return runs


def built_and_converged(clean: Path, faulty: Path, runs: int) -> dict[str, int]:
    for db in (clean, faulty):
        build_and_publish(db, Settings())
    return assert_converged(clean, faulty, runs)


def test_ingest_through_every_fault_converges_to_the_fault_free_database(tmp_path, figures):
    org = organisation("tiny", 14)
    clean, faulty = tmp_path / "clean.duckdb", tmp_path / "faulty.duckdb"
    port = clean_sync(org, clean)
    # retry_after 0: the client still waits (and logs) for what the fault asks, only shorter
    spec = FaultSpec.parse(FAST_FAULTS + ",slow_seconds=0.05")
    with serve(org, port, spec, retry_after_seconds=0) as server:
        runs = sync_until_done(lambda: sync_in_process(server.base_url, faulty))
        count = FaultCount.of(server.stats())
    assert_every_fault_met(count, sequential=True)
    remember_clean("tiny", 14, clean)

    converged = built_and_converged(clean, faulty, runs)
    figures.add("fault convergence (tiny, in-process)", **count.figures(), **converged)


TOKENS = ["ghp_faultONE111111", "ghp_faultTWO222222", "ghp_faultTHREE3333"]


def test_several_credentials_one_revoked_mid_run_converge_through_every_fault(tmp_path, figures):
    org = organisation("tiny", 14)
    clean, faulty = tmp_path / "clean.duckdb", tmp_path / "faulty.duckdb"
    port = clean_sync(org, clean)
    # Budgets of their own, small enough to run out (40 requests, whole again 2 s later)
    budgets = Credentials(rate_limit=40, reset_seconds=2, per_credential=True)
    spec = FaultSpec.parse(FAST_FAULTS + ",slow_seconds=0.05")
    revoked: list[str] = []
    with serve(org, port, spec, retry_after_seconds=0, credentials=budgets) as server:

        def revoke_mid_run(repo: str, stream: str, seen: int) -> None:
            if not revoked and stream == "runs":
                server.credentials.revoke(TOKENS[1])
                revoked.append(repo)

        def one_run() -> list[str]:  # a fresh pool per run, as each run reads the environment
            pool = [Credential(f"GITHUB_TOKENS #{i}", t) for i, t in enumerate(TOKENS, 1)]
            return sync_in_process(server.base_url, faulty, CredentialPool(pool), revoke_mid_run)

        runs = sync_until_done(one_run)
        stats = server.stats()
    count = FaultCount.of(stats)
    assert revoked and stats["requests"]["unauthorized"]["401"] >= 1
    assert len(stats["credentials"]) == len(TOKENS), stats["credentials"]  # each one paid
    assert_every_fault_met(count, sequential=True)

    converged = built_and_converged(clean, faulty, runs)
    figures.add(
        "fault convergence (tiny, 3 credentials, one revoked)", **count.figures(), **converged
    )


def dora_ingest(
    root: Path, base_url: str, db: Path, prefect: PrefectServer
) -> tuple[int, str, str]:
    config = root / "dora.toml"
    config.write_text("[github]\nseconds_between_requests = 0\nconcurrency = 4\n")
    env = base_env(prefect, root / "prefect-client", GITHUB_TOKEN="soak-token")
    result = run_dora(
        "ingest", "--repo", "acme/*", "--base-url", base_url, "--db", str(db),
        "--config", str(config), cwd=root, env=env, timeout=3600,
    )  # fmt: skip
    return result.returncode, result.stdout, result.stderr


def dora_build(root: Path, db: Path, prefect: PrefectServer) -> None:
    env = base_env(prefect, root / "prefect-client")
    result = run_dora("build", "--db", str(db), cwd=root, env=env, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_soak_cli_ingest_of_the_demo_org_through_heavy_faults_converges(
    tmp_path, figures, prefect_server
):
    org = organisation("demo", 120)
    clean, faulty = tmp_path / "clean.duckdb", tmp_path / "faulty.duckdb"
    with serve(org) as server:
        code, _, err = dora_ingest(tmp_path, server.base_url, clean, prefect_server)
        assert code == 0, err[-3000:]
        port = server.base_url.rsplit(":", 1)[1]
    spec = FaultSpec.parse(SOAK_FAULTS + ",slow_seconds=0.5")
    with serve(org, int(port), spec, retry_after_seconds=0) as server:
        runs = 1
        while (result := dora_ingest(tmp_path, server.base_url, faulty, prefect_server))[0]:
            assert result[0] == 1 and runs < MAX_RUNS, result[2][-3000:]
            runs += 1
        count = FaultCount.of(server.stats())
    assert_every_fault_met(count)
    remember_clean("demo", 120, clean)

    for db in (clean, faulty):
        dora_build(tmp_path, db, prefect_server)
    converged = assert_converged(clean, faulty, runs)
    figures.add("fault convergence SOAK (demo org, dora CLI)", **count.figures(), **converged)
