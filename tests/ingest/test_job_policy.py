"""Jobs only where a model reads them, backfilled when a deploy rule is added; deploy-rule shas
off the default branch are compared (issue 14's ingest gaps), over real HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import ids, sync

JOBS_ROUTE = "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"
# web's CI runs on pull-request branches: their head shas are not on the default branch
CI_RULE = {"workflow": ".github/workflows/ci.yml", "environment": "production", "service": "x"}


def settings(rules=(), **github) -> Settings:
    return Settings.model_validate(
        {"github": {"seconds_between_requests": 0, **github}, "deploy_rules": list(rules)}
    )


@pytest.fixture(scope="module")
def org():
    return generate_organisation(seed=11, days=30, scale="tiny", end=date(2026, 11, 20))


def rule_runs(org, path="ci.yml", repo="acme/web"):
    runs = org.repos[repo].runs
    return [r for r in runs if r.path.endswith("/" + path) and r.status == "completed"]


def jobs_requests(server: SimulatorServer) -> int:
    return sum(server.stats()["requests"].get(JOBS_ROUTE, {}).values())


def test_without_rules_no_jobs_are_fetched(org, tmp_path):
    with SimulatorServer(org) as server:
        sync(server.base_url, tmp_path / "db.duckdb", repos=["acme/web"], settings=settings())
        assert jobs_requests(server) == 0
    assert ids(tmp_path / "db.duckdb", "select job_id from raw.workflow_jobs") == set()


def test_a_rule_added_later_backfills_the_jobs_of_stored_runs_once(org, tmp_path):
    db = tmp_path / "db.duckdb"
    wanted = rule_runs(org)
    assert wanted
    with SimulatorServer(org) as server:
        sync(server.base_url, db, repos=["acme/web"], settings=settings())
        assert jobs_requests(server) == 0
        sync(server.base_url, db, repos=["acme/web"], settings=settings([CI_RULE]))
        assert jobs_requests(server) == len(wanted)
        sync(server.base_url, db, repos=["acme/web"], settings=settings([CI_RULE]))
        assert jobs_requests(server) == len(wanted)  # nothing again
    stored = ids(db, "select job_id from raw.workflow_jobs")
    assert stored == {j.id for run in wanted for j in run.jobs}  # every attempt, nothing else


def test_deploy_rule_shas_off_the_default_branch_are_compared(org, tmp_path):
    db = tmp_path / "db.duckdb"
    repo = org.repos["acme/web"]
    off_branch = {r.head_sha for r in rule_runs(org) if r.head_branch != repo.default_branch}
    assert off_branch
    with SimulatorServer(org) as server:
        sync(server.base_url, db, repos=["acme/web"], settings=settings([CI_RULE]))
    compared = ids(db, "select sha from raw.compared_shas")
    commits = ids(db, "select sha from raw.commits")
    assert off_branch <= compared | commits
    assert off_branch <= commits  # their ranges are stored


def test_jobs_of_deploying_workflows_on_request(org, tmp_path):
    db = tmp_path / "db.duckdb"
    deploying = [
        r for r in org.repos["acme/web"].runs
        if r.status == "completed" and any(j.environment for j in r.jobs)
    ]  # fmt: skip
    assert deploying
    with SimulatorServer(org) as server:
        sync(
            server.base_url, db, repos=["acme/web"],
            settings=settings(jobs_of_deploying_workflows=True),
        )  # fmt: skip
    stored = ids(db, "select job_id from raw.workflow_jobs")
    assert {j.id for run in deploying for j in run.jobs} <= stored
