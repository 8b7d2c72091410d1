"""METRICS.md section 2 and the change-failure part of 3: rollbacks, reverts, incidents, verification."""

from datetime import timedelta

from model_scenario import at, sha

from settings.config import DeployRule, IncidentSettings, MetricSettings, Settings


def test_rollback_to_a_sha_two_deployments_back_rolls_back_both(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.ok(3, "c", at(2))
    scenario.ok(4, "a", at(3))  # back to a: latest earlier deployment of a is 1
    scenario.build()
    rows = scenario.deployments()
    assert rows[4]["is_rollback"] and rows[4]["is_rework"]
    assert rows[4]["change_count"] == 0  # a rollback ships no changes
    for rolled in (2, 3):
        assert rows[rolled]["rolled_back_by"] == 4
        assert rows[rolled]["failure_reasons"] == "rolled_back"
        # next healthy counted success after 2 is 4 (3 is a failure): restored at 12:00
        assert rows[rolled]["restored_at"] == at(3)
        assert rows[rolled]["restored_by_deployment_id"] == 4
    assert rows[2]["recovery_seconds"] == 2 * 3600
    assert rows[3]["recovery_seconds"] == 3600
    assert not rows[1]["is_change_failure"]
    # 4 counted successes, 2 change failures; rework: only 4 (a rollback, and it restored them)
    assert scenario.query(
        "select deployments, change_failures, change_fail_rate, rework_rate, "
        "recovery_p50_seconds from marts.dora_weekly"
    ) == [(4, 2, 0.5, 0.25, 5400.0)]  # median of 7200 and 3600


def test_rollback_by_pattern_rolls_back_the_previous_deployment(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.ok(3, "b", at(1.5))  # redeploy of b: not the one rolled back
    scenario.ok(4, "c", at(2), description="Rollback of the payment change")
    scenario.build()
    rows = scenario.deployments()
    assert rows[4]["is_rollback"]
    assert rows[2]["rolled_back_by"] == 4
    assert rows[3]["rolled_back_by"] is None and not rows[3]["is_change_failure"]
    assert rows[1]["rolled_back_by"] is None


def test_revert_marks_the_deployment_that_first_shipped_the_reverted_commit(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.commit(
        "r", ["c"], at(-1), message=f'Revert "change b"\n\nThis reverts commit {sha("b")}.'
    )
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.ok(3, "c", at(2))
    scenario.ok(4, "r", at(3))
    scenario.build()
    rows = scenario.deployments()
    assert rows[2]["failure_reasons"] == "reverted"
    assert not rows[3]["is_change_failure"]
    # 3 is healthy and later than 2: it restored 2 (recovery 1 h), which makes 3 rework
    assert rows[2]["restored_by_deployment_id"] == 3
    assert rows[2]["recovery_seconds"] == 3600
    assert rows[3]["is_rework"]
    assert rows[4]["is_rework"]  # ships a revert commit


def test_incident_attribution_window_redeploy_and_labels(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(10))
    scenario.ok(3, "b", at(12))  # redeploy: never the target of an incident
    scenario.ok(4, "c", at(50), environment="staging")
    scenario.ok(5, "c", at(60))
    # 13:00 after the redeploy at 12:00 -> the counted deployment 2 (at 10:00)
    scenario.incident(1, at(13), closed=at(15))
    # just outside the window: 24 h + 1 s after deployment 2, before 5 -> unattributed
    scenario.incident(2, at(10) + timedelta(hours=24, seconds=1), closed=at(40))
    # staging label, within 2 h of the staging deployment 4
    scenario.incident(3, at(52), closed=at(53), labels=["Incident", "env:stage"])
    # a plain issue label that is not an incident label
    scenario.incident(4, at(61), closed=at(62), labels=["bug"])
    # exactly at the window's edge: attributed (gap <= 24 h)
    scenario.incident(5, at(60 + 24), labels=["incident", "service:api"])
    scenario.build()
    incidents = {r["number"]: r for r in scenario.records("select * from marts.incidents")}
    assert set(incidents) == {1, 2, 3, 5}
    assert incidents[1]["deployment_id"] == 2
    assert incidents[2]["deployment_id"] is None
    assert (incidents[3]["environment"], incidents[3]["deployment_id"]) == ("staging", 4)
    assert (incidents[5]["service"], incidents[5]["deployment_id"]) == ("api", 5)
    assert incidents[5]["state"] == "open"
    rows = scenario.deployments()
    assert rows[2]["failure_reasons"] == "incident"
    # restored: earliest of next healthy counted success (5 at 60:00, other scope 4 ignored)
    # and incident 1 closed at 15:00 -> 15:00, 5 h after 10:00
    assert rows[2]["restored_at"] == at(15) and rows[2]["recovery_seconds"] == 5 * 3600
    assert rows[2]["restored_by_deployment_id"] is None
    # 5 has an open incident and no later deployment: not restored, shown as open
    assert rows[5]["is_change_failure"] and rows[5]["restored_at"] is None
    assert scenario.query("select unattributed_incidents from marts.data_quality") == [(1,)]


def test_reopened_incident_open_now_is_unresolved(scenario):
    scenario.chain(["a", "b"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.incident(1, at(2), closed=at(3), state="open")  # closed once, reopened
    scenario.build(Settings(incidents=IncidentSettings(attribution_window_hours=2)))
    row = scenario.deployments()[2]
    assert row["failure_reasons"] == "incident" and row["restored_at"] is None
    assert scenario.query("select closed_at, state from marts.incidents") == [(None, "open")]


def test_failed_verification_marks_the_deployment_whose_window_contains_it(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.ok(3, "c", at(3))

    def check(run_id, commit, started, conclusion="failure"):
        scenario.run(run_id, ".github/workflows/smoke.yml", commit, started, conclusion)

    check(91, "b", at(1.5))  # inside 2's window (01:00 - 03:00)
    check(92, "a", at(1.5))  # sha a, but a's window closed at 01:00
    check(93, "c", at(4), conclusion="success")
    scenario.build(
        Settings(metrics=MetricSettings(verification_workflows=[".github/workflows/smoke.yml"]))
    )
    rows = scenario.deployments()
    assert rows[2]["failure_reasons"] == "verification_failed"
    assert not rows[1]["is_change_failure"] and not rows[3]["is_change_failure"]
    assert rows[2]["restored_at"] == at(3)


def test_deploy_failed_can_be_switched_off(scenario):
    scenario.chain(["a", "b"])
    scenario.ok(1, "a", at(0))
    scenario.failed(2, "b", at(1))
    scenario.build(Settings(metrics=MetricSettings(deploy_failed_is_change_failure=False)))
    rows = scenario.deployments()
    assert not rows[2]["is_change_failure"] and rows[2]["is_counted"]
    assert scenario.query("select change_fail_rate from marts.dora_weekly") == [(0.0,)]


def test_a_deployment_counts_once_however_many_reasons(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.incident(1, at(1.5), closed=at(2))
    scenario.incident(2, at(1.6), closed=at(2.5))
    scenario.ok(3, "a", at(3))  # rollback to a
    scenario.build()
    row = scenario.deployments()[2]
    assert row["failure_reasons"] == "incident,rolled_back"
    # all incidents closed at 02:30, before the rollback at 03:00 -> 1.5 h
    assert row["restored_at"] == at(2.5) and row["recovery_seconds"] == 5400
    # 3 counted successes, one change failure
    assert scenario.query("select change_failures, deployments from marts.dora_weekly") == [(1, 3)]


def test_a_revert_shipped_with_the_commit_it_reverts_undoes_nothing(scenario):
    # deploys a, then b and its revert together: users never saw b
    scenario.chain(["a", "b"])
    scenario.commit(
        "r", ["b"], at(-1), message=f'Revert "change b"\n\nThis reverts commit {sha("b")}.'
    )
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "r", at(1))
    scenario.build()
    row = scenario.deployments()[2]
    assert row["change_count"] == 2  # b and r are its changes
    assert not row["is_change_failure"] and not row["is_rework"]
    # two counted deployments, no change failure, no rework (today's code: 0.5 and 0.5)
    assert scenario.query("select change_fail_rate, rework_rate from marts.dora_weekly") == [
        (0.0, 0.0)
    ]


def test_only_a_deployment_to_which_the_commit_is_attributed_is_reverted(scenario):
    # a is in the first deployment's baseline: its revert reverts nothing, but still ships a
    # revert commit, so the deployment shipping it is rework
    scenario.chain(["a", "b", "c"])
    scenario.commit(
        "r", ["c"], at(-1), message=f'Revert "change a"\n\nThis reverts commit {sha("a")}.'
    )
    scenario.ok(1, "b", at(0))
    scenario.ok(2, "c", at(1))
    scenario.ok(3, "r", at(2))
    scenario.build()
    rows = scenario.deployments()
    assert not any(rows[i]["is_change_failure"] for i in (1, 2, 3))
    assert [rows[i]["is_rework"] for i in (1, 2, 3)] == [False, False, True]


def test_failed_verification_survives_a_redeploy(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.ok(3, "b", at(1.5))  # redeploy of b 30 minutes later: not counted

    def check(run_id, commit, started):
        scenario.run(run_id, ".github/workflows/smoke.yml", commit, started, "failure")

    check(91, "b", at(1.6))  # 6 minutes after the redeploy: marks 2, the counted deployment of b
    check(92, "a", at(1.6))  # a is no longer live: marks nothing
    scenario.ok(4, "c", at(3))
    check(93, "b", at(3.5))  # after c went out: b's window is closed
    scenario.build(Settings(metrics=MetricSettings(verification_workflows=["smoke.yml"])))
    rows = scenario.deployments()
    assert rows[2]["failure_reasons"] == "verification_failed"
    assert not any(rows[i]["is_change_failure"] for i in (1, 3, 4))
    # restored by 4 (3 is a redeploy, counted nowhere): 2 h after 2 went out
    assert (rows[2]["restored_by_deployment_id"], rows[2]["recovery_seconds"]) == (4, 7200)
    assert scenario.query("select change_failures from marts.dora_weekly") == [(1,)]


def test_a_deploy_rule_runs_display_title_is_not_a_rollback_name(scenario):
    scenario.chain(["a", "b", "c"])

    def apply(run_id, commit, completed, path, name, title):
        started = completed - timedelta(minutes=20)
        scenario.run(run_id, path, commit, started, name=name, title=title, completed=completed)

    deploy, rollback = ".github/workflows/deploy.yml", ".github/workflows/rollback.yml"
    apply(11, "a", at(0), deploy, "Deploy", "Bump dependencies")
    # a push titled with "rollback": its headline is the run's display_title, not a name
    apply(12, "b", at(1), deploy, "Deploy", "Add rollback support to migrations")
    # a workflow *named* for rollbacks is one (pattern-only: it rolls back the previous one)
    apply(13, "c", at(2), rollback, "Rollback production", "Rollback production")
    rules = [
        DeployRule(workflow=deploy, environment="production"),
        DeployRule(workflow=rollback, environment="production"),
    ]
    scenario.build(Settings(deploy_rules=rules))
    rows = scenario.deployments()
    assert rows[12]["description"] == "Add rollback support to migrations"
    assert not rows[12]["is_rollback"] and rows[12]["change_count"] == 1  # b is a change
    assert not rows[11]["is_change_failure"]
    assert rows[13]["is_rollback"] and rows[12]["rolled_back_by"] == 13
    assert rows[12]["failure_reasons"] == "rolled_back"
