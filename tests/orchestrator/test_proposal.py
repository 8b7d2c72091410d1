"""The proposal from hand-made estates: evidence priority, inputs, gates, what is left out.

Every proposal made here is also linted by the real actionlint inside its estate.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml

from orchestrator.estate import Environment, Estate, Step
from orchestrator.propose import Proposal, propose
from orchestrator.workflow_file import read_workflow
from tests.orchestrator.lint import lint

W = ".github/workflows/"


def dispatch(name: str, body: str = "", inputs: str = "") -> str:
    """A manual-only workflow whose one job runs `body` (or deploys to an environment)."""
    on = "on:\n  workflow_dispatch:\n" + (textwrap.indent(inputs, "    ") if inputs else "")
    job = body or "    runs-on: ubuntu-latest\n    steps:\n      - run: ./go.sh\n"
    return f"name: {name}\n{on}jobs:\n  run:\n{job}"


PRODUCTION = [Environment("production", required_reviewers=True, production=True, deployments=9)]


def estate(files: dict[str, str], releases=(), environments=PRODUCTION, runs=None) -> Estate:
    workflows = [read_workflow(W + name, text) for name, text in files.items()]
    manual = {
        w.path
        for w in workflows
        if w.is_dispatchable and set(w.triggers) <= {"workflow_dispatch", "workflow_call"}
    }
    return Estate(
        "acme/app",
        workflows,
        manual_only=manual,
        environments=list(environments),
        releases=[[Step(W + p, p == "app.yml") for p in release] for release in releases],
        runs=runs or {},
    )


def levels(proposal: Proposal) -> dict[str, int]:
    return {j.workflow.file_name: j.stage for j in proposal.jobs if j.workflow is not None}


def evidence(proposal: Proposal, job_id: str) -> list[str]:
    return next(j.evidence for j in proposal.jobs if j.job_id == job_id)


def assert_lints(tmp_path, the_estate: Estate, proposal: Proposal) -> None:
    files = {w.path: w.text for w in the_estate.workflows}
    found = lint(tmp_path, files, proposal.workflow_yaml, proposal.file_name, proposal.callable_blocks)  # fmt: skip
    assert found == []


APP = dispatch(
    "Deploy App",
    "    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: ./deploy.sh\n",
)
STACK = {
    "setup-infrastructure.yml": dispatch("Setup Infrastructure"),
    "postgres-deployment.yml": dispatch("Postgres Deployment"),
    "deploy-service-accounts.yml": dispatch("Deploy Service Accounts"),
    "app.yml": APP,
}


def test_without_history_the_roles_order_the_stages(tmp_path):
    the_estate = estate(STACK)
    proposal = propose(the_estate)
    order = levels(proposal)
    assert order["setup-infrastructure.yml"] < order["postgres-deployment.yml"]
    assert (
        order["postgres-deployment.yml"] < order["deploy-service-accounts.yml"] < order["app.yml"]
    )
    assert evidence(proposal, "deploy-service-accounts") == [
        "postgres-deployment: role (database before secrets)"
    ]
    assert_lints(tmp_path, the_estate, proposal)


def test_run_history_beats_the_roles():
    # the team runs service accounts before the database, as in the "remembered" order
    used = ["setup-infrastructure.yml", "deploy-service-accounts.yml", "postgres-deployment.yml", "app.yml"]  # fmt: skip
    proposal = propose(estate(STACK, releases=[used, used, used]))
    order = levels(proposal)
    assert (
        order["deploy-service-accounts.yml"] < order["postgres-deployment.yml"] < order["app.yml"]
    )
    assert evidence(proposal, "postgres-deployment") == [
        "deploy-service-accounts: history (dispatched first in 3 of 3 releases)"
    ]
    assert any("used in 3 of 3 releases" in line for line in proposal.rationale)


def test_history_that_contradicts_itself_leaves_the_pair_to_the_roles():
    one_way = ["deploy-service-accounts.yml", "postgres-deployment.yml"]
    proposal = propose(estate(STACK, releases=[one_way, one_way[::-1]]))
    order = levels(proposal)
    assert order["postgres-deployment.yml"] < order["deploy-service-accounts.yml"]
    assert evidence(proposal, "deploy-service-accounts") == [
        "postgres-deployment: role (database before secrets (history unclear: 1 vs 1 releases))"
    ]
    # one release that nothing contradicts is history enough
    order = levels(propose(estate(STACK, releases=[one_way])))
    assert order["deploy-service-accounts.yml"] < order["postgres-deployment.yml"]


def test_explicit_yaml_beats_run_history(tmp_path):
    files = {
        "postgres-deployment.yml": dispatch("Postgres Deployment"),
        # started by the database deployment's runs: once the database is called, it no longer is
        "seed-search.yml": "name: Seed Search\non:\n  workflow_run:\n    workflows: [Postgres Deployment]\n"
        "    types: [completed]\n  workflow_dispatch:\njobs:\n  seed:\n    runs-on: ubuntu-latest\n"
        "    environment: production\n    steps:\n      - run: ./seed.sh\n",
    }  # fmt: skip
    wrong_way = ["seed-search.yml", "postgres-deployment.yml"]
    the_estate = estate(files, releases=[wrong_way] * 4)
    proposal = propose(the_estate)
    assert levels(proposal)["postgres-deployment.yml"] < levels(proposal)["seed-search.yml"]
    assert evidence(proposal, "seed-search") == [
        "postgres-deployment: yaml (seed-search.yml runs on `workflow_run` of 'Postgres Deployment')"
    ]
    assert W + "seed-search.yml" in proposal.callable_blocks
    assert_lints(tmp_path, the_estate, proposal)


def test_history_that_goes_round_in_a_circle_drops_its_weakest_edge():
    files = {n: APP.replace("Deploy App", n.upper()) for n in ("a-deploy.yml", "b-deploy.yml", "c-deploy.yml")}  # fmt: skip
    releases = [["a-deploy.yml", "b-deploy.yml"]] * 4 + [["b-deploy.yml", "c-deploy.yml"]] * 3
    releases += [["c-deploy.yml", "a-deploy.yml"]] * 2
    proposal = propose(estate(files, releases=releases))
    order = levels(proposal)
    assert order["a-deploy.yml"] < order["b-deploy.yml"] < order["c-deploy.yml"]
    assert any(line.startswith("  dropped: .github/workflows/c-deploy.yml before") for line in proposal.rationale)  # fmt: skip


def test_dispatch_inputs_are_mapped_for_a_production_release(tmp_path):
    inputs = """inputs:
  service:
    type: choice
    required: true
    options: [api, worker]
  environment:
    type: choice
    required: true
    options: [staging, prod]
  ref:
    required: false
  region:
    required: true
  replicas:
    type: number
    required: true
    default: 3
  rollback:
    type: boolean
    default: false
"""
    body = (
        "    runs-on: ubuntu-latest\n    environment: ${{ inputs.service }}-${{ inputs.environment }}\n"
        "    steps:\n      - run: ./deploy.sh ${{ github.event.inputs.region }}\n"
    )
    files = {"app.yml": dispatch("Deploy App", body, inputs)}
    environments = [
        Environment(f"{s}-prod", required_reviewers=True, production=True, deployments=n)
        for s, n in (("api", 5), ("worker", 7))
    ]
    the_estate = estate(files, environments=environments)
    proposal = propose(the_estate)
    job = yaml.safe_load(proposal.workflow_yaml)["jobs"]["app"]
    assert job["strategy"] == {"matrix": {"service": ["api", "worker"]}}
    assert job["with"] == {
        "service": "${{ matrix.service }}",
        "environment": "prod",
        "ref": "${{ github.sha }}",
        "region": "${{ vars.REGION }}",
        "replicas": 3,
        "rollback": False,
    }
    assert job["secrets"] == "inherit"
    text = "\n".join(proposal.rationale)
    assert "set the repository variable REGION" in text
    assert "reads github.event.inputs.region, empty when called: use inputs.region" in text
    # the gate is the protected production environment deployed to most; the app waits again
    # in its own protected environments
    gate = yaml.safe_load(proposal.workflow_yaml)["jobs"]["approve-production"]
    assert gate["environment"] == "worker-prod"
    assert proposal.approvals == [
        "approve-production (environment worker-prod)",
        "app (its own environments api-prod, worker-prod)",
    ]
    assert_lints(tmp_path, the_estate, proposal)


def test_without_a_protected_production_environment_the_rationale_warns():
    proposal = propose(estate({"app.yml": APP}, environments=[]))
    assert yaml.safe_load(proposal.workflow_yaml)["jobs"]["approve-production"]["environment"] == "production"  # fmt: skip
    assert any("has no required reviewers" in line for line in proposal.rationale)


def test_copies_unused_and_non_deploying_workflows_are_left_out():
    files = {
        **STACK,
        "setup-infrastructure 2.yml": dispatch("Setup Infrastructure (copy)"),
        "branch-protection.yml": dispatch("Branch Protection"),
        "rotate-keys.yml": dispatch("Rotate Keys"),
    }
    runs = {W + name: 3 for name in files if name != "rotate-keys.yml"}
    proposal = propose(estate(files, runs=runs))
    assert sorted(levels(proposal)) == sorted(STACK)
    text = "\n".join(proposal.rationale)
    assert "setup-infrastructure 2.yml: looks like a copy of setup-infrastructure.yml" in text
    assert "branch-protection.yml: manual-only, but deploys nothing" in text
    assert "rotate-keys.yml: manual-only, but never run in the ingested history" in text


def test_quality_gates_run_side_by_side_before_the_approval(tmp_path):
    files = {
        "app.yml": APP,
        "ci.yml": "name: CI\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
        "lint.yml": "name: Lint\non:\n  push:\n  workflow_call:\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n",
    }  # fmt: skip
    the_estate = estate(files)
    proposal = propose(the_estate)
    jobs = yaml.safe_load(proposal.workflow_yaml)["jobs"]
    assert jobs["approve-production"]["needs"] == ["quality-ci", "quality-lint"]
    assert "needs" not in jobs["quality-ci"] and "needs" not in jobs["quality-lint"]
    assert set(proposal.callable_blocks) == {W + "ci.yml", W + "app.yml"}  # lint.yml already is
    assert proposal.callable_blocks[W + "ci.yml"] == "on:\n  push:\n  pull_request:\n  workflow_call:\n"  # fmt: skip
    assert_lints(tmp_path, the_estate, proposal)


@pytest.mark.parametrize("with_rollback", [True, False])
def test_rollback_calls_the_estates_rollback_or_is_a_marked_placeholder(tmp_path, with_rollback):
    files = {"app.yml": APP}
    if with_rollback:
        files["rollback.yml"] = dispatch(
            "Rollback",
            inputs="inputs:\n  environment:\n    type: environment\n    required: true\n",
        )
    the_estate = estate(files)
    proposal = propose(the_estate)
    job = yaml.safe_load(proposal.workflow_yaml)["jobs"]["rollback"]
    assert job["if"] == "failure()" and job["needs"] == ["app", "post-deploy-validation"]
    if with_rollback:
        assert job["uses"] == "./.github/workflows/rollback.yml"
        assert job["with"] == {"environment": "production"}
    else:
        assert "PLACEHOLDER" in job["name"] and job["steps"][0]["run"].endswith("exit 1")
    assert_lints(tmp_path, the_estate, proposal)


def test_an_estate_without_manual_deployments_gets_a_reason_not_a_file():
    proposal = propose(estate({"ci.yml": "name: CI\non: push\njobs: {}\n"}))
    assert proposal.workflow_yaml is None
    assert (
        proposal.reason == "nothing to orchestrate: no manual-only workflow here deploys anything"
    )


def test_an_orchestrator_already_there_keeps_running_and_is_not_a_quality_gate():
    files = {
        **STACK,
        "canary.yml": "name: Canary\non:\n  workflow_call:\njobs:\n  go:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: ./canary.sh\n",
        "pipeline.yml": "name: Pipeline\non:\n  push:\n    branches: [main]\njobs:\n  canary:\n    uses: ./.github/workflows/canary.yml\n",
    }  # fmt: skip
    proposal = propose(estate(files))
    assert not any(j.kind == "quality" for j in proposal.jobs)
    assert ".github/workflows/pipeline.yml: runs by itself (push; already calls canary.yml)" in "\n".join(proposal.rationale)  # fmt: skip
    assert sorted(levels(proposal)) == sorted(STACK)


def test_without_a_validation_workflow_a_marked_placeholder_validates(tmp_path):
    the_estate = estate(STACK)
    proposal = propose(the_estate)
    jobs = yaml.safe_load(proposal.workflow_yaml)["jobs"]
    validation = jobs["post-deploy-validation"]
    assert validation["name"] == "Post-deploy validation (PLACEHOLDER)"
    assert validation["needs"] == "app" and "::warning::" in validation["steps"][0]["run"]
    assert "post-deploy-validation" in jobs["rollback"]["needs"]
    assert any(line.startswith("Validation: post-deploy-validation is a PLACEHOLDER") for line in proposal.rationale)  # fmt: skip
    assert_lints(tmp_path, the_estate, proposal)
