"""Edges of METRICS.md rules that the SQL mutation list (sql_mutations.py) showed untested.

Each test pins one rule with a scenario worked out by hand; the list names the mutation it kills.
"""

from model_scenario import at, sha

from settings.config import EnvironmentSettings, Settings


def test_only_a_message_starting_with_revert_quote_is_a_revert(scenario):
    # METRICS.md 2: a revert's message starts with `Revert "` AND names the commit. "Undo ..."
    # that names b in its body is an ordinary change: b is not reverted, nothing is rework.
    scenario.chain(["a", "b", "c"])
    scenario.commit("u", ["c"], at(-1), message=f"Undo change b\n\nThis reverts commit {sha('b')}.")
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.ok(3, "c", at(2))
    scenario.ok(4, "u", at(3))
    scenario.build()
    rows = scenario.deployments()
    assert [rows[i]["is_change_failure"] for i in (1, 2, 3, 4)] == [False, False, False, False]
    assert [rows[i]["is_rework"] for i in (1, 2, 3, 4)] == [False, False, False, False]


def test_a_revert_reverts_only_in_the_scope_that_shipped_it(scenario):
    # METRICS.md 2: the deployment to which C is attributed IN THAT SCOPE is reverted. The revert
    # of b reached staging only: production's deployment of b stands.
    scenario.chain(["a", "b", "c"])
    scenario.commit("r", ["c"], at(-1), message=f'Revert "change b"\n\nThis reverts commit {sha("b")}.')  # fmt: skip
    scenario.ok(1, "a", at(0), environment="staging")
    scenario.ok(2, "b", at(1), environment="staging")
    scenario.ok(3, "r", at(3), environment="staging")
    scenario.ok(11, "a", at(0.5))
    scenario.ok(12, "b", at(2))
    scenario.build()
    rows = scenario.deployments()
    assert rows[2]["failure_reasons"] == "reverted" and rows[3]["is_rework"]
    assert not rows[12]["is_change_failure"] and not rows[12]["is_rework"]


def test_a_service_label_attributes_to_that_services_deployment(scenario):
    # METRICS.md 2: `service:NAME` narrows an incident to one service. web deployed last, but
    # the incident says service:api, so it belongs to api's deployment 2.
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0), environment="api-production")
    scenario.ok(2, "b", at(1), environment="api-production")
    scenario.ok(3, "c", at(2), environment="web-production")
    scenario.incident(1, at(3), closed=at(4), labels=["incident", "service:api"])
    scenario.incident(2, at(3.5), closed=at(4), labels=["incident"])  # no label: latest, web's
    pattern = r"^(?P<service>[a-z]+)-(?P<environment>\w+)$"
    scenario.build(Settings(environments=EnvironmentSettings(service_pattern=pattern)))
    assert scenario.query(
        "select number, service, deployment_id from marts.incidents order by 1"
    ) == [  # fmt: skip
        (1, "api", 2),
        (2, "web", 3),
    ]
    rows = scenario.deployments()
    assert (rows[2]["failure_reasons"], rows[3]["failure_reasons"]) == ("incident", "incident")


def test_recovery_counts_in_the_week_the_failure_started(scenario):
    # METRICS.md 3: a period's recovery median is over the failures whose START falls in it. The
    # attempt fails on Friday 6 March and is restored on Monday 9 March (3 days later).
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.failed(2, "b", at(days=4))
    scenario.ok(3, "c", at(days=7))
    scenario.build()
    assert scenario.deployments()[2]["recovery_seconds"] == 3 * 86400
    weeks = scenario.query("select week_start::varchar, recovery_p50_seconds from marts.dora_weekly order by 1")  # fmt: skip
    assert weeks == [("2026-03-02", 3 * 86400.0), ("2026-03-09", None)]


def test_a_rollback_by_pattern_ships_no_changes(scenario):
    # METRICS.md 3: changes are those of a counted success that is NOT a rollback. Deployment 3
    # ships the new commit c but says it is a rollback: c is not one of its changes.
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.ok(3, "c", at(2), description="Rollback of the b release")
    scenario.build()
    rows = scenario.deployments()
    assert rows[3]["is_rollback"] and rows[3]["change_count"] == 0
    assert scenario.query("select deployment_id, sha from marts.changes") == [(2, sha("b"))]


def test_the_median_of_an_even_count_is_interpolated(scenario):
    # METRICS.md 3: the median is quantile_cont(0.5): lead times of 1 h and 4 h give 2.5 h.
    scenario.chain(["base"], authored=at(-200))
    scenario.commit("v", ["base"], at(23))
    scenario.commit("w", ["v"], at(20))
    scenario.ok(1, "base", at(0))
    scenario.ok(2, "w", at(24))
    scenario.build()
    assert scenario.query("select lead_time_p50_seconds from marts.dora_weekly") == [(2.5 * 3600,)]
    assert scenario.deployments()[2]["lead_time_p50_seconds"] == 2.5 * 3600


def test_a_pull_requests_own_commits_keep_their_own_author_dates(scenario):
    # METRICS.md 3: only the squash or merge commit starts at the PR's first commit. p1 and p2
    # are PR 7's own commits (merged by m, a merge commit: no change itself): each keeps its date.
    scenario.commit("base", [], at(-30))
    scenario.commit("p1", ["base"], at(-10))
    scenario.commit("p2", ["p1"], at(-5))
    scenario.commit("m", ["base", "p2"], at(0.5))
    scenario.pull_request(7, "m", at(-4), at(0.5), commits=[("p1", at(-10)), ("p2", at(-5))])
    scenario.ok(1, "base", at(-20))
    scenario.ok(2, "m", at(1))
    scenario.build()
    changes = scenario.query("select sha, lead_time_seconds, pr_number from marts.changes order by 2")  # fmt: skip
    assert changes == [(sha("p2"), 6 * 3600, 7), (sha("p1"), 11 * 3600, 7)]


def test_a_lead_time_of_exactly_one_day_is_not_elite(scenario):
    # METRICS.md 4 (2023): elite is a median BELOW one day; exactly 24 h is high.
    scenario.commit("base", [], at(-100))
    scenario.commit("c", ["base"], at(0))
    scenario.ok(1, "base", at(-50))
    scenario.ok(2, "c", at(24))
    scenario.build()
    assert scenario.query("select lead_time_p50_seconds, lead_time_level from marts.dora_summary") == [(86400.0, "high")]  # fmt: skip


def _daily_deployments(scenario, days):
    names = [f"d{day}" for day in days]
    scenario.chain(names, authored=at(-200))
    for deployment_id, (name, day) in enumerate(zip(names, days, strict=True), start=1):
        scenario.ok(deployment_id, name, at(1, days=day))


def test_the_weekly_median_is_over_the_whole_weeks_of_the_window(scenario):
    # METRICS.md 4 (amended 2026-12-01): the ISO weeks lying wholly inside the window. The 14
    # days up to Monday 2026-03-16 09:00 hold one whole week (03-09 to 03-15, 5 deploy days);
    # the week of 03-04's deployment began before the window's 09:00 start, so it is left out:
    # median 5 (the partial week counted would make it 3; 14-day buckets from as_of, 3 as well).
    _daily_deployments(scenario, [2, 8, 9, 10, 11, 12])
    scenario.build(as_of=at(days=14), window_days=14)
    assert scenario.query("select deploy_days, deploy_days_per_week_p50 from marts.dora_summary") == [(6, 5.0)]  # fmt: skip


def test_the_summary_window_excludes_its_start_and_includes_its_end(scenario):
    # METRICS.md 6: (window_start, as_of]. Two deployments exactly at the start are out, the one
    # exactly at as_of is in, with one in between: 2.
    scenario.chain(["a", "b", "c", "d"], authored=at(-200))
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(0))
    scenario.ok(3, "c", at(days=3))
    scenario.ok(4, "d", at(days=14))
    scenario.build(as_of=at(days=14), window_days=14)
    assert scenario.query("select deployments, counted_deployments from marts.dora_summary") == [
        (2, 2)
    ]


def test_a_rollback_is_rework_even_when_it_restored_nothing(scenario):
    # METRICS.md 3: a rollback is rework in itself. Incident 1 closed at 2 h restored deployment
    # 2 before the rollback 3 at 3 h, so 3 restored nothing; it is still rework. Rework rate is
    # over successful counted deployments: 1 of 3 (the failed attempt 4 is not in it).
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.incident(1, at(1.5), closed=at(2))
    scenario.ok(3, "a", at(3))
    scenario.failed(4, "c", at(4))
    scenario.build()
    rows = scenario.deployments()
    assert rows[2]["restored_by_deployment_id"] is None and rows[2]["restored_at"] == at(2)
    assert rows[3]["is_rollback"] and rows[3]["is_rework"]
    (week,) = scenario.records("select deployments, counted_deployments, rework_rate from marts.dora_weekly")  # fmt: skip
    assert (week["deployments"], week["counted_deployments"]) == (3, 4)
    assert week["rework_rate"] == 1 / 3
