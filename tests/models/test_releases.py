"""Production releases as sessions of manual runs, and what the proposed orchestrator replaces."""

from __future__ import annotations

import json
from datetime import timedelta

from model_scenario import at

from ingest.workflow_yaml import parse_workflow

W = ".github/workflows/"
INFRA = "name: Setup Infrastructure\non: workflow_dispatch\njobs:\n  apply:\n    runs-on: ubuntu-latest\n    steps:\n      - run: terraform apply\n"  # fmt: skip
APP = (
    "name: Deploy\non:\n  workflow_dispatch:\n    inputs:\n      environment:\n        type: choice\n"
    "        options: [staging, production]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
    "    environment: ${{ inputs.environment }}\n    steps:\n      - run: ./deploy.sh\n"
)  # fmt: skip


def _file(scenario, name: str, text: str) -> None:
    definition, _ = parse_workflow(text)
    scenario.add("workflow_files", path=W + name, content=text, definition=json.dumps(definition))


def _run(scenario, run_id: int, name: str, created, event: str = "workflow_dispatch") -> None:
    scenario.add(
        "workflow_runs",
        run_id=run_id,
        run_attempt=1,
        path=W + name,
        name=name,
        event=event,
        status="completed",
        conclusion="success",
        created_at=created,
        run_started_at=created,
        updated_at=created + timedelta(minutes=5),
    )


def test_sessions_releases_and_the_steps_the_proposal_replaces(scenario):
    scenario.chain(["a", "b", "c"])
    _file(scenario, "infra.yml", INFRA)
    _file(scenario, "app.yml", APP)
    # Day 1, one session: infrastructure 09:00, staging deploy 09:10, production deploy 09:30
    # (deployed 09:40). 13:30 (3 h 50 after the last event): infrastructure alone, no release.
    _run(scenario, 1, "infra.yml", at(0))
    _run(scenario, 3, "app.yml", at(1 / 6))
    scenario.ok(10, "a", at(1 / 6, 0) + timedelta(minutes=8), environment="staging", run_id=3)
    _run(scenario, 2, "app.yml", at(0.5))
    scenario.ok(11, "a", at(0.5) + timedelta(minutes=10), run_id=2)
    _run(scenario, 4, "infra.yml", at(4.5))
    # Day 2: a production deployment started by a push, nothing by hand
    _run(scenario, 5, "app.yml", at(1, 1), event="push")
    scenario.ok(12, "b", at(1, 1) + timedelta(minutes=10), run_id=5)
    scenario.build()

    releases = scenario.records(
        "select release_id, manual_runs, manual_runs_replaced, manual_steps_with_proposal "
        "from marts.releases order by release_id"
    )
    # the staging deploy is no step of the production release; the proposal calls infra.yml and
    # app.yml and its only approval is its gate (no environment has required reviewers), so
    # release 11 goes from 2 manual steps to 2 - 2 + 1
    assert releases == [
        {
            "release_id": 11,
            "manual_runs": 2,
            "manual_runs_replaced": 2,
            "manual_steps_with_proposal": 1,
        },  # fmt: skip
        {
            "release_id": 12,
            "manual_runs": 0,
            "manual_runs_replaced": 0,
            "manual_steps_with_proposal": 0,
        },  # fmt: skip
    ]
    steps = scenario.records(
        "select step, run_id, deploys_production, environments, replaced_by_proposal "
        "from marts.release_steps order by step"
    )
    assert steps == [
        {
            "step": 1,
            "run_id": 1,
            "deploys_production": False,
            "environments": [],
            "replaced_by_proposal": True,
        },  # fmt: skip
        {
            "step": 2,
            "run_id": 2,
            "deploys_production": True,
            "environments": ["production"],
            "replaced_by_proposal": True,
        },  # fmt: skip
    ]
