"""METRICS.md section 5 by hand: workflow health, manual-only workflows, promotion lag."""

import json
from datetime import timedelta

from model_scenario import at, sha

CI = ".github/workflows/ci.yml"


def _run(scenario, run_id, conclusion, attempt=1, event="push", minutes=10):
    created = at(run_id)
    scenario.add(
        "workflow_runs", run_id=run_id, run_attempt=attempt, path=CI, name="CI", event=event,
        status="completed", conclusion=conclusion, head_sha=sha("a"), created_at=created,
        run_started_at=created + timedelta(minutes=1), updated_at=created,
    )  # fmt: skip
    scenario.add(
        "workflow_jobs", job_id=run_id * 10, run_id=run_id, run_attempt=attempt, name="test",
        status="completed", conclusion=conclusion, created_at=created,
        started_at=created + timedelta(minutes=1),
        completed_at=created + timedelta(minutes=1 + minutes),
    )  # fmt: skip


def test_workflow_health_rates_and_shares(scenario):
    _run(scenario, 1, "success")
    _run(scenario, 2, "failure", attempt=2)  # a re-run
    _run(scenario, 3, "startup_failure", event="workflow_dispatch")
    _run(scenario, 4, "timed_out", event="repository_dispatch", minutes=30)
    _run(scenario, 5, "cancelled")  # neither success nor failure: outside the success rate
    scenario.build()
    (row,) = scenario.records(
        "select runs, successes, failures, success_rate, rerun_share, manual_share, "
        "duration_p50_seconds, queue_p50_seconds from marts.workflow_health"
    )
    # 1 success of 4 decided runs; 1 re-run and 2 dispatches of 5 runs; durations 10,10,10,30,10 min
    assert row == {
        "runs": 5, "successes": 1, "failures": 3, "success_rate": 0.25, "rerun_share": 0.2,
        "manual_share": 0.4, "duration_p50_seconds": 600.0, "queue_p50_seconds": 60.0,
    }  # fmt: skip


def _workflow_file(scenario, path, on):
    definition = {"name": path, "on": on, "workflow_run": [], "jobs": []}
    scenario.add("workflow_files", path=path, definition=json.dumps(definition))


def test_a_workflow_only_people_start_is_manual_only(scenario):
    _workflow_file(scenario, ".github/workflows/release.yml", ["workflow_dispatch"])
    _workflow_file(scenario, ".github/workflows/hook.yml", ["repository_dispatch"])
    _workflow_file(scenario, ".github/workflows/both.yml", ["workflow_dispatch", "repository_dispatch"])  # fmt: skip
    _workflow_file(scenario, ".github/workflows/ci.yml", ["push", "workflow_dispatch"])
    scenario.build()
    manual = scenario.query(
        "select workflow_path, is_manual_only from marts.workflow_dependencies "
        "where kind = 'workflow' order by 1"
    )
    assert manual == [
        (".github/workflows/both.yml", True),
        (".github/workflows/ci.yml", False),
        (".github/workflows/hook.yml", True),
        (".github/workflows/release.yml", True),
    ]


def test_promotion_lag_is_the_time_from_the_previous_stage(scenario):
    scenario.chain(["a", "b"])
    scenario.ok(1, "a", at(0), environment="staging")
    scenario.ok(2, "a", at(0.5))
    scenario.ok(3, "b", at(2), environment="staging")
    scenario.ok(4, "b", at(5))
    scenario.build()
    rows = scenario.query(
        "select environment, stage_order, previous_environment, lag_seconds "
        "from marts.promotion_lag where sha = ? order by stage_order",
        [sha("b")],
    )
    # b reached staging at 2 h, then production at 5 h: 3 h after staging
    assert rows == [("staging", 2, None, None), ("production", 3, "staging", 3 * 3600)]
