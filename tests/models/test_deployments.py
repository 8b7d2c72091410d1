"""METRICS.md section 1: outcomes and times, deploy rules, environment names, redeploys, counting."""

from datetime import timedelta

from model_scenario import Scenario, at, sha

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


def test_inactive_never_decides_an_outcome_failure_then_inactive_fails_inactive_alone_is_superseded(
    scenario,
):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    # failed at 10:12; GitHub (or another tool) marks it inactive later: still a failure
    scenario.deployment(
        2, "b", at(1), [("in_progress", at(1.1)), ("failure", at(1.2)), ("inactive", at(5))]
    )
    # superseded before it ever settled: queued, then inactive
    scenario.deployment(3, "c", at(2), [("queued", at(2)), ("inactive", at(2.2))])
    scenario.deployment(4, "c", at(3), [("queued", at(3))])  # still queued: unfinished
    scenario.ok(5, "c", at(4))
    scenario.build()
    rows = scenario.deployments()
    assert (rows[2]["outcome"], rows[2]["failed_at"], rows[2]["deployed_at"]) == (
        "failure",
        at(1.2),
        None,
    )
    assert rows[2]["failure_reasons"] == "deploy_failed" and rows[2]["is_counted"]
    assert (rows[3]["outcome"], rows[3]["deployed_at"], rows[3]["is_counted"]) == (
        "superseded",
        None,
        False,
    )
    assert rows[4]["outcome"] == "unfinished"
    # 5 is the first success after 1: it ships b and c, and restored 2 (10:12 -> 13:00)
    assert scenario.query("select deployment_id, sha from marts.changes order by sha") == sorted(
        [(5, sha("b")), (5, sha("c"))], key=lambda r: r[1]
    )
    assert rows[2]["restored_by_deployment_id"] == 5
    assert rows[2]["recovery_seconds"] == 2.8 * 3600
    # successes 1 and 5; counted 1, 2, 5; one change failure
    assert scenario.query(
        "select deployments, counted_deployments, change_failures from marts.dora_weekly"
    ) == [(2, 3, 1)]
    assert scenario.query(
        "select superseded_deployments, unfinished_deployments, estimated_times "
        "from marts.data_quality"
    ) == [(1, 1, 0)]


def test_failure_is_the_latest_failure_or_error_and_unfinished_ones_are_left_out(scenario):
    # four shas: a failed attempt followed by one of the same sha would be a retried attempt
    scenario.chain(["a", "b", "c", "d"])
    scenario.deployment(1, "a", at(0), [("pending", at(0.1)), ("error", at(0.2))])
    scenario.deployment(
        2, "b", at(1), [("failure", at(1.1)), ("in_progress", at(1.2)), ("failure", at(1.3))]
    )
    scenario.deployment(3, "c", at(2), [("queued", at(2.1))])
    scenario.deployment(4, "d", at(3), [])
    scenario.build()
    rows = scenario.deployments()
    assert (rows[1]["outcome"], rows[1]["failed_at"]) == ("failure", at(0.2))
    assert (rows[2]["outcome"], rows[2]["failed_at"]) == ("failure", at(1.3))
    assert rows[3]["outcome"] == rows[4]["outcome"] == "unfinished"
    assert not rows[3]["is_counted"] and not rows[4]["is_counted"]
    assert scenario.query("select unfinished_deployments from marts.data_quality") == [(2,)]
    # 2 counted failures, both change failures (deploy_failed); unfinished ones count nowhere
    assert scenario.query(
        "select counted_deployments, change_failures, change_fail_rate from marts.dora_weekly"
    ) == [(2, 2, 1.0)]


def test_redeploy_counts_in_no_metric_and_a_failure_then_success_of_one_sha_is_a_retry(scenario):
    scenario.chain(["a", "b"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "a", at(1))  # same sha as the previous success: a redeploy
    scenario.failed(3, "b", at(2))
    scenario.ok(4, "b", at(3))  # previous *successful* deployment has sha a: not a redeploy
    scenario.build()
    rows = scenario.deployments()
    assert [rows[i]["is_redeploy"] for i in (1, 2, 3, 4)] == [False, True, False, False]
    # 3 failed and the next attempt shipped the same sha: 4 stands for it (METRICS.md section 1)
    assert [rows[i]["is_retried"] for i in (1, 2, 3, 4)] == [False, False, True, False]
    assert [rows[i]["is_counted"] for i in (1, 2, 3, 4)] == [True, False, False, True]
    # week: successes counted 1 and 4 -> 2 deployments, 2 counted, no change failure
    week = scenario.query(
        "select deployments, counted_deployments, change_failures, change_fail_rate, "
        "recovery_p50_seconds from marts.dora_weekly"
    )
    assert week == [(2, 2, 0, 0.0, None)]
    assert rows[3]["is_change_failure"] is False and rows[4]["is_rework"] is False


def test_flaky_retries_collapse_into_their_retry_and_stay_visible(scenario):
    scenario.chain(["a", "b", "c", "d"])
    scenario.ok(1, "a", at(0), run_id=91)
    # b fails three times, then its fourth attempt succeeds: one deployment, no change failure
    for deployment_id in (2, 3, 4):
        scenario.failed(deployment_id, "b", at(deployment_id - 1), run_id=90 + deployment_id)
    scenario.ok(5, "b", at(4), run_id=95)
    # c fails and the next attempt ships d: a real failed deployment
    scenario.failed(6, "c", at(5), run_id=96)
    scenario.ok(7, "d", at(6), run_id=97)
    for run_id in range(91, 98):
        scenario.run(run_id, ".github/workflows/deploy.yml", "a", at(run_id - 91.25))
    scenario.build()
    # successes 1, 5, 7; counted 1, 5, 6, 7; change failure 6 only -> 1/4; 6 failed at 14:00 and
    # was restored by 7 at 15:00 (1 h). Counting the retried attempts would give 4/7 and a
    # recovery median of 1.5 h (3, 2, 1 and 1 h).
    assert scenario.query(
        "select deployments, counted_deployments, change_failures, change_fail_rate, "
        "recovery_p50_seconds, rework_rate from marts.dora_weekly"
    ) == [(3, 4, 1, 0.25, 3600.0, 0.0)]
    rows = scenario.deployments()
    assert [i for i in rows if rows[i]["is_retried"]] == [2, 3, 4]
    assert not any(rows[i]["is_counted"] or rows[i]["is_change_failure"] for i in (2, 3, 4))
    assert rows[6]["failure_reasons"] == "deploy_failed" and rows[6]["recovery_seconds"] == 3600
    # flakiness stays visible: per repo in data_quality, per workflow in workflow_health
    assert scenario.query("select failed_attempts, retried_attempts from marts.data_quality") == [
        (4, 3)
    ]
    assert scenario.query(
        "select deployment_attempts, failed_deployment_attempts, retried_deployment_attempts "
        "from marts.workflow_health"
    ) == [(7, 4, 3)]


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


def test_names_are_lower_case_everywhere(tmp_path):
    """`Acme/Api` is service `api`: `service:API` labels and rule targets `Worker` match it."""
    scenario = Scenario(tmp_path / "names.duckdb", repo="Acme/Api")
    try:
        scenario.chain(["a", "b"])
        scenario.ok(1, "a", at(0), environment="Production")
        scenario.ok(2, "b", at(1), environment="Production")
        scenario.ok(3, "b", at(2), environment="Billing-Staging")  # the pattern, any case
        scenario.incident(1, at(1.5), closed=at(2), labels=["Incident", "service:API"])
        scenario.incident(
            2, at(2.5), closed=at(3), labels=["incident", "env:staging", "service:Billing"]
        )
        rule = DeployRule(
            workflow=".github/workflows/worker.yml", environment="QA", service="Worker"
        )
        _run(scenario, 11, ".github/workflows/worker.yml", "Worker", "success", at(4))
        scenario.incident(3, at(4.5), labels=["incident", "env:QA", "service:worker"])
        pattern = r"^(?P<service>[a-z]+)-(?P<environment>staging|production)$"
        scenario.build(
            Settings(
                deploy_rules=[rule],
                environments=EnvironmentSettings(service_pattern=pattern),
            )
        )
        rows = scenario.deployments()
        assert {(r["service"], r["environment"]) for r in rows.values()} == {
            ("api", "production"),
            ("billing", "staging"),
            ("worker", "qa"),
        }
        incidents = {r["number"]: r for r in scenario.records("select * from marts.incidents")}
        assert [(incidents[n]["service"], incidents[n]["deployment_id"]) for n in (1, 2, 3)] == [
            ("api", 2),
            ("billing", 3),
            ("worker", 11),
        ]
        assert scenario.query("select unattributed_incidents from marts.data_quality") == [(0,)]
    finally:
        scenario.con.close()
