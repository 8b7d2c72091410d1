"""The acceptance run: the simulator's acme/platform as ingested before its switch to the master
pipeline -> build -> the proposal, checked against the truth the simulator serves, by actionlint,
and against the order the simulated team actually released in; then `dora propose-pipeline`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
import pytest
import yaml

from orchestrator.estate import load_estate
from orchestrator.ordering import agreement
from tests.orchestrator.lint import lint
from tests.orchestrator.platform_history import REPO, W, platform_before_switch


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """(working db, truth) for acme/platform before the switch, built and published."""
    return platform_before_switch(tmp_path_factory.mktemp("platform"))


@pytest.fixture(scope="module")
def proposal(platform):
    db, _ = platform
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "select * from marts.orchestration_proposals where repo = ?", [REPO]
        ).fetchone()
        names = [d[0] for d in con.description]
        estate = load_estate(con, REPO)
    return dict(zip(names, row, strict=True)), estate


def stage_of(row: dict) -> dict[str, int]:
    return {j["workflow_path"]: j["stage"] for j in row["jobs"] if j["workflow_path"]}


def test_every_manual_only_deployment_workflow_is_called_exactly_once(platform, proposal):
    db, truth = platform
    row, _ = proposal
    with duckdb.connect(str(db), read_only=True) as con:
        manual_deployments = {
            path
            for (path,) in con.execute(
                "select workflow_path from marts.workflow_dependencies d where repo = ? and "
                "kind = 'workflow' and is_manual_only and exists (select 1 from "
                "int.int_workflow_runs__timed r where r.repo = d.repo and r.workflow_path = d.workflow_path)",
                [REPO],
            ).fetchall()
        }  # fmt: skip
    # a copy of terraform.yml that only plans is not a deployment (when it ran at all)
    manual_deployments.discard(W + "terraform 2.yml")
    intended = {path for stage in truth["release_order"][REPO]["stages"] for path in stage}
    assert manual_deployments == intended
    calls = [
        job["uses"][2:]
        for job in yaml.safe_load(row["workflow_yaml"])["jobs"].values()
        if "uses" in job
    ]
    for path in intended:
        assert calls.count(path) == 1, path
    assert len(calls) == len(set(calls))


def test_every_dependency_the_truth_knows_is_respected(platform, proposal):
    _, truth = platform
    stage = stage_of(proposal[0])
    dependencies = truth["release_order"][REPO]["dependencies"]
    assert len(dependencies) >= 10
    for before, after in dependencies:
        assert stage[before] < stage[after], (before, after)


def test_production_is_gated_by_the_environment_with_required_reviewers(platform, proposal):
    db, _ = platform
    jobs = yaml.safe_load(proposal[0]["workflow_yaml"])["jobs"]
    gate = jobs["approve-production"]["environment"]
    with duckdb.connect(str(db), read_only=True) as con:
        protected = {
            name
            for (name,) in con.execute(
                "select environment_name from stg.stg_github__environments "
                "where repo = ? and has_required_reviewers",
                [REPO],
            ).fetchall()
        }
    assert gate in protected and gate.endswith("-production")

    def ancestors(job_id: str) -> set[str]:
        needs = jobs[job_id].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        return set(needs).union(*(ancestors(n) for n in needs))

    for job_id in jobs:
        if job_id not in ("approve-production", "rollback") and not job_id.startswith("quality-"):
            assert "approve-production" in ancestors(job_id), job_id


def test_the_proposal_passes_actionlint(platform, proposal, tmp_path):
    db, _ = platform
    row, _ = proposal
    with duckdb.connect(str(db), read_only=True) as con:
        files = dict(
            con.execute(
                "select path, content from raw.workflow_files where repo = ?", [REPO]
            ).fetchall()  # fmt: skip
        )
    blocks = {b["workflow_path"]: b["on_block"] for b in row["callable_blocks"]}
    assert len(blocks) >= 6  # the hand-dispatched deployments cannot be called yet
    assert lint(tmp_path, files, row["workflow_yaml"], row["file_name"], blocks) == []


def test_stage_order_is_the_one_the_team_used_in_at_least_90_percent_of_releases(proposal):
    row, estate = proposal
    kept, informative = agreement(stage_of(row), estate.releases)
    print(f"\nstage order kept in {kept} of {informative} releases ({kept / informative:.1%})")
    assert informative >= 15
    assert kept >= 0.9 * informative
    assert f"used in {kept} of {informative} releases" in row["rationale"]


def dora(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    command = [sys.executable, "-m", "flows.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_the_command_writes_the_file_and_prints_the_rationale(platform, proposal, tmp_path):
    db, _ = platform
    out = tmp_path / "out" / "release.yml"
    done = dora(tmp_path, "propose-pipeline", "--repo", REPO, "--db", str(db), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text() == proposal[0]["workflow_yaml"]
    assert "Edges (why each `needs:` is there" in done.stdout
    assert done.stdout.rstrip().endswith("(in the repository: .github/workflows/release-orchestrator.yml)")  # fmt: skip
    shutil.rmtree(out.parent)
    missing = dora(tmp_path, "propose-pipeline", "--repo", "acme/web", "--db", str(db))
    assert missing.returncode == 1
    assert missing.stderr == (
        "error: acme/web: no workflow files in the published snapshot "
        "(ingest it, then `dora build`)\n"
    )
