"""Workflow YAML -> the normalised definition of INTERFACES.md."""

from ingest.workflow_yaml import parse_workflow


def test_on_key_read_as_true_and_every_trigger_form():
    definition, error = parse_workflow(
        "name: Deploy\n"
        "on:\n  push:\n    branches: [main]\n  workflow_dispatch:\n"
        "  workflow_run:\n    workflows: [CI, 'Build images']\n    types: [completed]\n"
        "jobs:\n"
        "  build:\n    uses: ./.github/workflows/_build.yml\n"
        "  prod:\n    needs: build\n    environment:\n      name: production\n      url: https://x\n"
        "  smoke:\n    name: Smoke test\n    needs: [build, prod]\n    environment: staging\n"
    )
    assert error is None
    assert definition == {
        "name": "Deploy",
        "on": ["push", "workflow_dispatch", "workflow_run"],
        "workflow_run": ["CI", "Build images"],
        "jobs": [
            {
                "id": "build",
                "name": None,
                "uses": "./.github/workflows/_build.yml",
                "needs": [],
                "environment": None,
            },
            {
                "id": "prod",
                "name": None,
                "uses": None,
                "needs": ["build"],
                "environment": "production",
            },
            {
                "id": "smoke",
                "name": "Smoke test",
                "uses": None,
                "needs": ["build", "prod"],
                "environment": "staging",
            },
        ],
    }


def test_string_and_list_triggers_and_missing_name():
    assert parse_workflow("on: push\njobs: {}\n")[0] == {
        "name": None,
        "on": ["push"],
        "workflow_run": [],
        "jobs": [],
    }
    assert parse_workflow("on: [push, pull_request]\n")[0]["on"] == ["push", "pull_request"]


def test_bad_yaml_and_non_workflows_give_an_error_not_an_exception():
    definition, error = parse_workflow("jobs: [unclosed\n")
    assert definition is None and error.startswith("YAML error")
    assert parse_workflow("- just\n- a list\n") == (
        None,
        "not a workflow: the top level is not a mapping",
    )
    assert parse_workflow("on: push\njobs: 3\n")[1] == "not a workflow: `jobs` is not a mapping"
