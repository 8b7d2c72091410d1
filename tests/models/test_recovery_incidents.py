"""Recovery of a change failure with several attributed incidents (METRICS.md section 3).

Restored at = the earliest of the next healthy deployment and, only once EVERY incident attributed
to the failure is closed, the last of their closings. Times are hours after T0 (Monday 09:00).
"""

from model_scenario import at


def _deploy_b_with_two_incidents(scenario, second_closed=None):
    """a at 0 h, b at 1 h; incident 1 opened 1.5 h closed 2 h, incident 2 opened 1.6 h."""
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.incident(1, at(1.5), closed=at(2))
    scenario.incident(2, at(1.6), closed=second_closed)


def test_one_incident_still_open_keeps_the_failure_open(scenario):
    _deploy_b_with_two_incidents(scenario)
    scenario.build()
    row = scenario.deployments()[2]
    assert row["failure_reasons"] == "incident" and row["is_change_failure"]
    # incident 1 closed at 2 h, but incident 2 is open and no later deployment exists
    assert (row["restored_at"], row["recovery_seconds"]) == (None, None)
    assert scenario.query(
        "select number, deployment_id, state from marts.incidents order by 1"
    ) == [
        (1, 2, "closed"),
        (2, 2, "open"),
    ]
    assert scenario.query(
        "select change_failures, recovery_p50_seconds from marts.dora_weekly"
    ) == [(1, None)]


def test_with_one_incident_open_the_next_healthy_deployment_restores(scenario):
    _deploy_b_with_two_incidents(scenario)
    scenario.ok(3, "c", at(5))
    scenario.build()
    row = scenario.deployments()[2]
    # the closings do not count (incident 2 is open): deployment 3 at 5 h restores, 4 h after 1 h
    assert row["restored_at"] == at(5) and row["restored_by_deployment_id"] == 3
    assert row["recovery_seconds"] == 4 * 3600
    assert scenario.deployments()[3]["is_rework"]  # it restored an incident failure


def test_when_all_are_closed_the_last_closing_restores(scenario):
    _deploy_b_with_two_incidents(scenario, second_closed=at(3))
    scenario.ok(3, "c", at(5))
    scenario.build()
    row = scenario.deployments()[2]
    # closings at 2 h and 3 h: the last, 3 h, comes before deployment 3 at 5 h -> 2 h after 1 h
    assert row["restored_at"] == at(3) and row["recovery_seconds"] == 2 * 3600
    assert row["restored_by_deployment_id"] is None
    assert not scenario.deployments()[3]["is_rework"]
