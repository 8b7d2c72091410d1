"""Issue 3 acceptance over real HTTP: the ingest against the simulator (tiny organisation)."""

from __future__ import annotations

import math
import urllib.request
from datetime import date

import pytest

from ingest.client import BadCredentials, MaxWaitExceeded, RetryPolicy
from ingest.history import HISTORY_STREAMS
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import FaultSpec, SimulatorServer
from tests.ingest.sim_helpers import (
    LIST_ROUTES,
    default_branch_shas,
    ids,
    incident_issues,
    page_minimum,
    snapshot,
    sync,
)

END = date(2026, 11, 20)
# The demo's rule: acme/infra applies Terraform with plain runs (their jobs are fetched).
DEPLOY_RULE = {"workflow": ".github/workflows/terraform-apply.yml", "environment": "production"}
WITH_RULE = Settings.model_validate(
    {"github": {"seconds_between_requests": 0}, "deploy_rules": [DEPLOY_RULE]}
)
STREAMS_PER_REPO = 9


def tiny(days: int = 20):
    """The tiny organisation; 20 days keeps a sync to a few seconds."""
    return generate_organisation(seed=11, days=days, scale="tiny", end=END)


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """One full sync and one unchanged re-sync of the tiny organisation, shared by the checks.

    120 days: acme/platform has over 1,000 runs, so run listings must be split into windows.
    """
    org = tiny(days=120)
    db = tmp_path_factory.mktemp("full") / "dora.duckdb"
    with SimulatorServer(org) as server:
        full = sync(server.base_url, db, settings=WITH_RULE)
        after_full = server.stats()
        first = snapshot(db)
        again = sync(server.base_url, db, settings=WITH_RULE)
        after_again = server.stats()
    return org, db, full, after_full, first, again, after_again


def test_full_sync_matches_the_organisation(synced):
    org, db, full, *_ = synced
    assert not full.failed, [r.error for r in full.results if r.error]
    for name, repo in org.repos.items():
        where = f"from raw.{{}} where repo = '{name}'"
        assert ids(db, "select run_id " + where.format("workflow_runs")) == {
            r.id for r in repo.runs
        }
        assert ids(db, "select workflow_id " + where.format("workflows")) == {
            w.id for w in repo.workflows
        }
        assert ids(db, "select deployment_id " + where.format("deployments")) == {
            d.id for d in repo.deployments
        }
        assert ids(db, "select status_id " + where.format("deployment_statuses")) == {
            s.id for d in repo.deployments for s in d.statuses
        }
        assert ids(db, "select environment_id " + where.format("environments")) == {
            e.id for e in repo.environments
        }
        assert ids(db, "select number " + where.format("pull_requests")) == {
            p.number for p in repo.pulls
        }
        assert ids(db, "select number " + where.format("issues")) == {
            i.number for i in incident_issues(repo)
        }
        assert ids(db, "select path " + where.format("workflow_files")) == set(repo.workflow_files)
        commits = ids(db, "select sha " + where.format("commits"))
        assert default_branch_shas(repo) <= commits
        assert {d.sha for d in repo.deployments} <= commits  # off-branch ones via compare
        merged = {(p.number, sha) for p in repo.pulls if p.merged_at for sha in p.commits}
        assert ids(db, "select pr_number, sha " + where.format("pull_request_commits")) == merged
        # Runs carry their latest attempt, as GitHub lists them.
        attempts = dict(ids(db, "select run_id, run_attempt " + where.format("workflow_runs")))
        assert attempts == {r.id: r.run_attempt for r in repo.runs}


def test_jobs_are_fetched_for_deploy_rule_runs_only_with_every_attempt(synced):
    org, db, *_ = synced
    stored = ids(db, "select job_id from raw.workflow_jobs")
    rule_runs = [
        run
        for repo in org.repos.values()
        for run in repo.runs
        if run.status == "completed" and run.path == DEPLOY_RULE["workflow"]
    ]
    assert rule_runs
    assert stored == {j.id for run in rule_runs for j in run.jobs}


def test_full_sync_requests_stay_near_the_page_minimum(synced):
    org, _, _, stats, *_ = synced
    routes = stats["requests"]
    listed = sum(
        n
        for route, by in routes.items()
        if route in LIST_ROUTES
        for status, n in by.items()
        if status != "304"  # free
    )
    # Tiny repos have streams with no items, which cost one request each but no page minimum;
    # the deepen pass (newest first: the recent weeks, then the rest) joins each history stream
    # to what the first pass read with at most one more page.
    assert listed <= 1.1 * page_minimum(org) + (2 + len(HISTORY_STREAMS)) * len(org.repos)
    # Runs: the unfiltered list has no 1,000 cap, so about one request per 100 runs (the look-back
    # windows and page 1 overlap by at most a page per repo; no probes).
    runs_pages = sum(math.ceil(len(r.runs) / 100) for r in org.repos.values())
    assert sum(routes["/repos/{owner}/{repo}/actions/runs"].values()) <= runs_pages + len(org.repos)
    # Statuses and pull-request commits in bulk through GraphQL (at most one 1-point query per
    # page of deployments or pull requests), never a lazy completion of an item.
    assert "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses" not in routes
    assert "/repos/{owner}/{repo}/pulls/{number}/commits" not in routes
    pages = sum(
        math.ceil(len(r.deployments) / 100) + math.ceil(len(r.pulls) / 100)
        for r in org.repos.values()
    )
    assert 1 <= stats["graphql"]["points"] <= pages
    completed = sum(1 for r in org.repos.values() for run in r.runs if run.status == "completed")
    assert (
        sum(routes.get("/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", {}).values())
        <= completed
    )
    for lazy in (
        "/repos/{owner}/{repo}/actions/runs/{run_id}",
        "/repos/{owner}/{repo}/deployments/{deployment_id}",
        "/repos/{owner}/{repo}/pulls/{number}",
        "/repos/{owner}/{repo}/commits/{ref}",
    ):
        assert lazy not in routes


def test_resync_of_unchanged_data_changes_no_row_and_is_nearly_free(synced):
    org, db, _, after_full, first, again, after_again = synced
    assert snapshot(db) == first
    assert all(c.new == 0 and c.updated == 0 for r in again.results for c in r.counts.values())
    charged = after_again["charged_requests"] - after_full["charged_requests"]
    assert charged <= len(org.repos) * STREAMS_PER_REPO
    # Head page 1 and the look-back windows of runs come back 304: free.
    runs_route = "/repos/{owner}/{repo}/actions/runs"
    runs_before = after_full["requests"][runs_route].get("200", 0)
    assert after_again["requests"][runs_route].get("200", 0) == runs_before
    assert after_again["not_modified"] > after_full["not_modified"]


def test_advance_then_resync_adds_exactly_the_new_rows(tmp_path):
    org = tiny(days=30)
    with SimulatorServer(org) as server:
        sync(server.base_url, tmp_path / "a.duckdb")
        before = ids(tmp_path / "a.duckdb", "select run_id from raw.workflow_runs")
        request = urllib.request.Request(
            f"{server.base_url}/_simulator/advance?days=3", method="POST"
        )
        urllib.request.urlopen(request).close()
        second = sync(server.base_url, tmp_path / "a.duckdb")
        clean = sync(server.base_url, tmp_path / "b.duckdb")
        runs_now = {r.id for repo in org.repos.values() for r in repo.runs}
    assert not second.failed and not clean.failed
    assert runs_now > before  # the organisation did move on
    assert snapshot(tmp_path / "a.duckdb") == snapshot(tmp_path / "b.duckdb")
    assert ids(tmp_path / "a.duckdb", "select run_id from raw.workflow_runs") == runs_now


def test_every_fault_kind_converges_to_the_fault_free_database(tmp_path):
    with SimulatorServer(tiny()) as server:
        sync(server.base_url, tmp_path / "clean.duckdb")
    faults = FaultSpec.parse(
        "5xx=0.04,403=0.03,429=0.03,reset=0.04,slow=0.03,seed=5,slow_seconds=0.05"
    )
    with SimulatorServer(tiny(), faults=faults, retry_after_seconds=0) as server:
        run = sync(server.base_url, tmp_path / "faulty.duckdb")
        injected = server.stats()["faults"]
    assert not run.failed, [r.error for r in run.results if r.error]
    assert set(injected) >= {"5xx", "403", "429", "reset", "slow"}, injected
    assert run.stats.retries > 0
    assert snapshot(tmp_path / "faulty.duckdb") == snapshot(tmp_path / "clean.duckdb")


def test_unknown_repository_is_reported_and_the_others_continue(tmp_path):
    with SimulatorServer(tiny()) as server:
        run = sync(server.base_url, tmp_path / "d.duckdb", repos=("acme/nope", "acme/web"))
    assert run.failed
    assert list(run.unavailable) == ["acme/nope"] and "not found" in run.unavailable["acme/nope"]
    assert ids(tmp_path / "d.duckdb", "select distinct repo from raw.workflow_runs") == {"acme/web"}


def test_bad_token_stops_at_once(tmp_path):
    with SimulatorServer(tiny()) as server:
        with pytest.raises(BadCredentials, match="GITHUB_TOKEN"):
            sync(server.base_url, tmp_path / "e.duckdb", token="bad-token")
        assert server.stats()["total_requests"] == 1
    assert ids(tmp_path / "e.duckdb", "select count(*) from raw.workflow_runs") == {0}


def test_max_wait_stops_cleanly_with_what_was_saved(tmp_path):
    with (
        SimulatorServer(tiny(), rate_limit=40, rate_reset_seconds=3600) as server,
        pytest.raises(MaxWaitExceeded, match="max-wait"),
    ):
        sync(server.base_url, tmp_path / "f.duckdb", policy=RetryPolicy(max_wait=5))
    # Everything committed before the stop is whole: a re-run with quota finishes the job.
    saved = ids(tmp_path / "f.duckdb", "select count(*) from raw.repositories")
    assert saved and next(iter(saved)) >= 1
    with SimulatorServer(tiny()) as server:
        sync(server.base_url, tmp_path / "f.duckdb")
        sync(server.base_url, tmp_path / "g.duckdb")
    assert snapshot(tmp_path / "f.duckdb") == snapshot(tmp_path / "g.duckdb")


def test_token_never_reaches_the_database_or_the_log(tmp_path, caplog):
    token = "ghp_secretTOKENvalue0123456789"
    caplog.set_level("DEBUG")
    faults = FaultSpec.parse("5xx=0.05,403=0.05,seed=2")
    with SimulatorServer(tiny(), faults=faults, retry_after_seconds=0) as server:
        sync(
            server.base_url,
            tmp_path / "h.duckdb",
            repos=("acme/infra", "acme/missing"),
            token=token,
        )
    assert token not in caplog.text
    assert token.encode() not in (tmp_path / "h.duckdb").read_bytes()
    wal = tmp_path / "h.duckdb.wal"
    assert not wal.exists() or token.encode() not in wal.read_bytes()
