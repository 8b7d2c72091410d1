"""YAML the simulator's estate does not contain, and recorded real files, through the real build:
no crash; a proposal that actionlint passes, or a one-line reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.workflow_yaml import parse_workflow
from tests.models.model_scenario import Scenario
from tests.orchestrator.lint import lint
from tests.prerequisites import fixture_path

FIXTURES = fixture_path("github-api/workflow-yaml/PyGithub/workflows")
W = ".github/workflows/"

CALLABLE_WITH_SECRETS = """\
name: Deploy API
on:
  workflow_dispatch:
    inputs:
      environment:
        type: environment
        required: true
      version:
        description: Image tag
        required: true
  workflow_call:
    inputs:
      environment:
        type: string
        required: true
      version:
        type: string
        required: true
      dry-run:
        type: boolean
        default: false
    secrets:
      DEPLOY_TOKEN:
        required: true
      SLACK_WEBHOOK:
        required: false
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: ${{ inputs.environment }}
    steps:
      - run: ./deploy.sh "${{ inputs.version }}"
        env:
          TOKEN: ${{ secrets.DEPLOY_TOKEN }}
"""
MATRIX = """\
name: Regional Release
on:
  workflow_dispatch:
jobs:
  release:
    strategy:
      matrix:
        region: [eu-west-1, us-east-1]
        include:
          - region: ap-south-1
            canary: true
    runs-on: ubuntu-latest
    environment: production-${{ matrix.region }}
    steps:
      - run: ./release.sh ${{ matrix.region }}
"""
ON_AS_STRING = """\
name: Database Migrations
on: workflow_dispatch
jobs:
  migrate:
    runs-on: ubuntu-latest
    steps:
      - run: ./migrate.sh up
"""
NOT_A_WORKFLOW = "jobs: [this is not, a mapping\n"
ODD = {
    "deploy-api.yml": CALLABLE_WITH_SECRETS,
    "regional-release.yml": MATRIX,
    "db-migrations.yml": ON_AS_STRING,
}


def build_estate(tmp_path: Path, files: dict[str, str], environments=()) -> dict:
    """Store the files as the ingest does, build every model, return the repo's proposal row."""
    scenario = Scenario(tmp_path / "work.duckdb")
    try:
        for name, text in files.items():
            definition, error = parse_workflow(text)
            scenario.add(
                "workflow_files",
                path=W + name,
                content=text,
                definition=json.dumps(definition) if definition else None,
                parse_error=error,
            )
        for number, (name, rules) in enumerate(environments, start=1):
            scenario.add("environments", environment_id=number, name=name, protection_rules=json.dumps(rules))  # fmt: skip
        scenario.build()
        rows = scenario.records("select * from marts.orchestration_proposals")
    finally:
        scenario.con.close()
    assert len(rows) == 1
    return rows[0]


def assert_valid_or_reason(tmp_path: Path, files: dict[str, str], row: dict) -> None:
    if row["workflow_yaml"] is None:
        assert row["reason"] and "\n" not in row["reason"]
        return
    blocks = {b["workflow_path"]: b["on_block"] for b in row["callable_blocks"]}
    lint_root = tmp_path / "lint"
    found = lint(lint_root, {W + n: t for n, t in files.items()}, row["workflow_yaml"], row["file_name"], blocks)  # fmt: skip
    assert found == []


def test_callable_matrix_and_string_on_workflows_give_a_valid_proposal(tmp_path):
    reviewers = [{"type": "required_reviewers", "reviewers": []}]
    files = {**ODD, "broken.yml": NOT_A_WORKFLOW}
    row = build_estate(tmp_path, files, [("production-eu-west-1", reviewers)])
    assert sorted(row["called_workflows"]) == sorted(W + name for name in ODD)
    assert_valid_or_reason(tmp_path, ODD, row)
    blocks = {b["workflow_path"]: b["on_block"] for b in row["callable_blocks"]}
    assert W + "deploy-api.yml" not in blocks  # already callable: called with its own inputs
    assert blocks[W + "db-migrations.yml"] == "on:\n  workflow_dispatch:\n  workflow_call:\n"
    assert "broken.yml: cannot be read: YAML error" in row["rationale"]
    assert "deploy-api: environment = production; version = ${{ vars.VERSION }}" in row["rationale"]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.y*ml")))
def test_each_recorded_real_workflow_alone(tmp_path, name):
    files = {name: (FIXTURES / name).read_text()}
    assert_valid_or_reason(tmp_path, files, build_estate(tmp_path, files))


def test_the_recorded_real_estate_with_the_odd_workflows(tmp_path):
    files = {p.name: p.read_text() for p in FIXTURES.glob("*.y*ml")} | ODD
    row = build_estate(tmp_path, files)
    assert row["workflow_yaml"] is not None
    assert_valid_or_reason(tmp_path, files, row)
    # PyGithub's push workflows become quality gates; its CI calls its reusable build itself
    assert {W + "ci.yml", W + "lint.yml", W + "codeql.yml"} <= set(row["called_workflows"])
    assert "environment 'production' has no required reviewers" in row["rationale"]
