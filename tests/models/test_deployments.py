"""METRICS.md section 1: outcomes and times, deploy rules, environment names, redeploys, counting."""

from datetime import timedelta

from model_scenario import at, sha

from settings.config import DeployRule, EnvironmentSettings, Settings


def test_success_takes_the_earliest_success_status_and_inactive_changes_nothing(scenario):
    scenario.chain(["a", "b"])
    # created 08:00; success 09:00 and again 09:30; GitHub marks it inactive the next day
    scenario.deployment(
        1,
        "b",
        at(-1),
        [("in_progress", at(-0.5)), ("success", at(0)), ("success", at(0.5)), ("inactive", at(24))],
    )
    scenario.build()
    row = scenario.deployments()[1]
    assert row["outcome"] == "success"
    assert row["deployed_at"] == at(0)  # earliest success, never the inactive one
    assert not row["is_time_estimated"]


def test_inactive_without_success_is_a_success_at_created_at_with_estimated_time(scenario):
    scenario.chain(["a"])
    scenario.deployment(1, "a", at(0), [("in_progress", at(0.1)), ("inactive", at(30))])
    scenario.build()
    row = scenario.deployments()[1]
    assert (row["outcome"], row["deployed_at"]) == ("success", at(0))
    assert scenario.query("select estimated_times from marts.data_quality") == [(1,)]


def test_failure_is_the_latest_failure_or_error_and_unfinished_ones_are_left_out(scenario):
    scenario.chain(["a"])
    scenario.deployment(1, "a", at(0), [("pending", at(0.1)), ("error", at(0.2))])
    scenario.deployment(
        2, "a", at(1), [("failure", at(1.1)), ("in_progress", at(1.2)), ("failure", at(1.3))]
    )
    scenario.deployment(3, "a", at(2), [("queued", at(2.1))])
    scenario.deployment(4, "a", at(3), [])
    scenario.build()
    rows = scenario.deployments()
    assert (rows[1]["outcome"], rows[1]["failed_at"]) == ("failure", at(0.2))
    assert (rows[2]["outcome"], rows[2]["failed_at"]) == ("failure", at(1.3))
    assert rows[3]["outcome"] == rows[4]["outcome"] == "unfinished"
    assert not rows[3]["is_counted"] and not rows[4]["is_counted"]
    assert scenario.query("select unfinished_deployments from marts.data_quality") == [(2,)]
    # 2 counted failures, both change failures (deploy_failed); unfinished ones count nowhere
    assert scenario.query(
        "select counted_attempts, change_failures, change_fail_rate from marts.dora_weekly"
    ) == [(2, 2, 1.0)]


def test_redeploy_counts_in_no_metric_but_failure_then_success_of_one_sha_counts_both(scenario):
    scenario.chain(["a", "b"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "a", at(1))  # same sha as the previous success: a redeploy
    scenario.failed(3, "b", at(2))
    scenario.ok(4, "b", at(3))  # previous *successful* deployment has sha a: not a redeploy
    scenario.build()
    rows = scenario.deployments()
    assert [rows[i]["is_redeploy"] for i in (1, 2, 3, 4)] == [False, True, False, False]
    assert [rows[i]["is_counted"] for i in (1, 2, 3, 4)] == [True, False, True, True]
    # week: successes counted 1 and 4 -> 2 deployments; counted attempts 1, 3, 4 -> 3
    # change failures: 3 (deploy_failed) -> rate 1/3; 3 restored by 4 at 12:00: 1 h
    week = scenario.query(
        "select deployments, counted_attempts, change_failures, change_fail_rate, "
        "recovery_p50_seconds from marts.dora_weekly"
    )
    assert week == [(2, 3, 1, 1 / 3, 3600.0)]
    assert rows[4]["is_rework"] is False  # it restored a failed attempt only: not rework


def _run(
    scenario, run_id, path, name, conclusion, completed, attempt=1, created=None, environment=None
):
    created = created or completed - timedelta(minutes=20)
    scenario.add(
        "workflow_runs",
        run_id=run_id,
        run_attempt=attempt,
        path=path,
        name=name,
        event="push",
        status="completed",
        conclusion=conclusion,
        head_sha=sha("a"),
        head_branch="main",
        created_at=created,
        run_started_at=created,
        updated_at=completed + timedelta(days=90),
    )  # GitHub bumps updated_at later
    # an older attempt's job finished later than the latest attempt's: it must not count
    scenario.add(
        "workflow_jobs",
        job_id=run_id * 10,
        run_id=run_id,
        run_attempt=attempt,
        name="apply",
        status="completed",
        conclusion=conclusion,
        started_at=created,
        completed_at=completed,
    )
    if attempt > 1:
        scenario.add(
            "workflow_jobs",
            job_id=run_id * 10 + 1,
            run_id=run_id,
            run_attempt=attempt - 1,
            name="apply",
            status="completed",
            conclusion="failure",
            started_at=created,
            completed_at=completed + timedelta(hours=5),
        )


def test_deploy_rules_map_runs_and_defer_to_the_deployments_api(scenario):
    scenario.chain(["a"])
    rule_prod = DeployRule(workflow=".github/workflows/terraform-*.yml", environment="prod")
    rule_staging = DeployRule(name_regex="(?i)^deploy staging", environment="staging")
    _run(
        scenario, 11, ".github/workflows/terraform-apply.yml", "Apply", "success", at(1), attempt=2
    )
    _run(scenario, 12, ".github/workflows/terraform-apply.yml", "Apply", "timed_out", at(2))
    _run(scenario, 13, ".github/workflows/terraform-apply.yml", "Apply", "cancelled", at(3))
    _run(scenario, 14, ".github/workflows/ci.yml", "CI", "success", at(4))
    _run(scenario, 15, ".github/workflows/deploy.yml", "Deploy staging", "success", at(5))
    # staging also has a Deployments API record: the staging rule is ignored for this repo
    scenario.ok(100, "a", at(6), environment="staging")
    scenario.build(Settings(deploy_rules=[rule_prod, rule_staging]))
    rows = scenario.records(
        "select deployment_id, source, environment, outcome, deployed_at, failed_at "
        "from marts.deployments order by deployment_id"
    )
    assert [(r["deployment_id"], r["source"], r["environment"], r["outcome"]) for r in rows] == [
        (11, "workflow_run", "production", "success"),
        (12, "workflow_run", "production", "failure"),
        (100, "deployments_api", "staging", "success"),
    ]
    # time of a rule deployment = latest completed_at of the latest attempt's jobs
    assert rows[0]["deployed_at"] == at(1)
    assert rows[1]["failed_at"] == at(2)


def test_environment_aliases_and_service_pattern(scenario):
    scenario.chain(["a"])
    scenario.ok(1, "a", at(0), environment="PRD")
    scenario.ok(2, "a", at(1), environment="api-Live")
    scenario.ok(3, "a", at(2), environment="web/stage")
    scenario.ok(4, "a", at(3), environment="preview")
    pattern = r"^(?P<service>[a-z]+)[-/](?P<environment>\w+)$"
    scenario.build(Settings(environments=EnvironmentSettings(service_pattern=pattern)))
    rows = scenario.deployments()
    assert (rows[1]["service"], rows[1]["environment"]) == ("api", "production")  # repo's name
    assert (rows[2]["service"], rows[2]["environment"]) == ("api", "production")
    assert (rows[3]["service"], rows[3]["environment"]) == ("web", "staging")
    assert (rows[4]["service"], rows[4]["environment"]) == ("api", "preview")


def test_without_a_service_rule_the_service_is_the_repo_name(scenario):
    scenario.chain(["a"])
    scenario.ok(1, "a", at(0), environment="api-production")
    scenario.build()
    row = scenario.deployments()[1]
    assert (row["service"], row["environment"]) == ("api", "api-production")
