"""METRICS.md section 3: changes as commit ranges, lead time and its stages, medians, rework, no data."""

from datetime import timedelta

from model_scenario import T0, at, sha

from settings.config import Settings


def test_changes_are_commit_ranges_without_merges_first_deployment_unattributed(scenario):
    # main: a - b - m (merge of feature f1 - f2 branched from a) - c
    scenario.commit("a", [], at(-10))
    scenario.commit("b", ["a"], at(-9))
    scenario.commit("f1", ["a"], at(-8))
    scenario.commit("f2", ["f1"], at(-7))
    scenario.commit("m", ["b", "f2"], at(-6))
    scenario.commit("c", ["m"], at(-5))
    scenario.ok(1, "b", at(0))  # first deployment: no baseline
    scenario.ok(2, "m", at(1))  # ships f1, f2 (m is a merge: left out)
    scenario.ok(3, "c", at(2))  # ships c
    scenario.build()
    changes = scenario.query(
        "select deployment_id, sha, lead_time_seconds from marts.changes order by deployment_id, sha"
    )
    assert changes == sorted(
        [
            (2, sha("f1"), 9 * 3600),  # authored at -8 h, deployed at +1 h
            (2, sha("f2"), 8 * 3600),
            (3, sha("c"), 7 * 3600),
        ]
    )
    rows = scenario.deployments()
    assert [rows[i]["change_count"] for i in (1, 2, 3)] == [0, 2, 1]
    assert rows[2]["lead_time_p50_seconds"] == 8.5 * 3600  # interpolated median of 9 h and 8 h
    # a and b were shipped by the first deployment, which has no baseline: counted
    assert scenario.query("select deployments_without_baseline from marts.data_quality") == [(1,)]


def test_each_commit_is_attributed_once_even_after_a_rollback(scenario):
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))  # ships b
    scenario.ok(3, "a", at(2))  # rollback: no changes
    scenario.ok(4, "c", at(3))  # ships c only: b was already shipped to production by 2
    scenario.ok(5, "c", at(4), environment="staging")  # first in staging: unattributed
    scenario.build()
    assert scenario.query("select deployment_id, sha from marts.changes order by 1") == [
        (2, sha("b")),
        (4, sha("c")),
    ]


def test_squash_merged_pull_request_starts_at_its_first_commit(scenario):
    scenario.chain(["a"], authored=at(-100))
    scenario.commit("s", ["a"], at(-1))  # the squash commit, authored at merge time
    scenario.pull_request(
        7, "s", created=at(-20), merged=at(-1), commits=[("p1", at(-30)), ("p2", at(-25))]
    )
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "s", at(2))
    scenario.build()
    (change,) = scenario.records("select * from marts.changes")
    assert change["pr_number"] == 7 and change["started_at"] == at(-30)
    assert change["lead_time_seconds"] == 32 * 3600  # -30 h -> +2 h
    # stages: coding first commit -> opened (10 h), review opened -> merged (19 h),
    # delivery merged -> deployed (3 h)
    assert (change["coding_seconds"], change["review_seconds"], change["delivery_seconds"]) == (
        10 * 3600,
        19 * 3600,
        3 * 3600,
    )


def test_lead_time_stages_are_never_negative_and_sum_to_the_lead_time(scenario):
    # a pull request opened at -20 h, merged at -1 h with a merge commit: p1 written at -30 h,
    # the review fix p2 at -10 h, after the pull request opened
    scenario.chain(["a"], authored=at(-100))
    scenario.commit("p1", ["a"], at(-30))
    scenario.commit("p2", ["p1"], at(-10))
    scenario.commit("m", ["a", "p2"], at(-1))
    scenario.pull_request(
        7, "m", created=at(-20), merged=at(-1), commits=[("p1", at(-30)), ("p2", at(-10))]
    )
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "m", at(2))
    scenario.build()
    stages = {
        r["sha"]: (r["lead_time_seconds"], r["coding_seconds"], r["review_seconds"],
                   r["delivery_seconds"])
        for r in scenario.records("select * from marts.changes")
    }  # fmt: skip
    hour = 3600
    # p1: coding -30 -> -20 (10 h), review -20 -> -1 (19 h), delivery -1 -> +2 (3 h) = 32 h
    assert stages[sha("p1")] == (32 * hour, 10 * hour, 19 * hour, 3 * hour)
    # p2 was written after the pull request opened: coding 0 (not -10 h), review from its
    # start -10 -> -1 (9 h), delivery 3 h = 12 h
    assert stages[sha("p2")] == (12 * hour, 0, 9 * hour, 3 * hour)


def test_negative_lead_time_is_excluded_and_counted(scenario):
    scenario.chain(["a"])
    scenario.commit("b", ["a"], at(5))  # author clock ahead of the deployment
    scenario.commit("c", ["b"], at(-1))
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "c", at(1))
    scenario.build()
    assert scenario.query("select sha, lead_time_seconds from marts.changes") == [(sha("c"), 7200)]
    assert scenario.query("select negative_lead_times from marts.data_quality") == [(1,)]


def test_weekly_lead_time_median_and_p90_are_interpolated(scenario):
    # five changes with lead times 1, 2, 3, 4, 10 h, all deployed by deployment 2 at T0 + 24 h
    scenario.chain(["base"], authored=at(-200))
    previous = "base"
    for name, lead in zip("vwxyz", (1, 2, 3, 4, 10), strict=True):
        scenario.commit(name, [previous], at(24 - lead))
        previous = name
    scenario.ok(1, "base", at(0))
    scenario.ok(2, "z", at(24))
    scenario.build()
    (week,) = scenario.records("select * from marts.dora_weekly")
    assert week["lead_time_p50_seconds"] == 3 * 3600
    # p90: position 0.9 * 4 = 3.6 between 4 h and 10 h -> 4 + 0.6 * 6 = 7.6 h
    assert abs(week["lead_time_p90_seconds"] - 7.6 * 3600) < 1e-6


def test_hotfix_pull_requests_make_rework(scenario):
    scenario.chain(["a"])
    scenario.commit("h", ["a"], at(-2))
    scenario.commit("l", ["h"], at(-1))
    scenario.pull_request(1, "h", at(-3), at(-2), head_ref="hotfix/login")
    scenario.pull_request(2, "l", at(-3), at(-1), labels=["HotFix"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "h", at(1))
    scenario.ok(3, "l", at(2))
    scenario.build()
    rows = scenario.deployments()
    assert [rows[i]["is_rework"] for i in (1, 2, 3)] == [False, True, True]
    assert scenario.query("select rework_rate from marts.dora_weekly") == [(2 / 3,)]


def test_an_empty_week_is_no_data_not_zero(scenario):
    scenario.chain(["a", "b"])
    scenario.ok(1, "a", at(0))  # week of 2026-03-02
    scenario.ok(2, "b", at(0, days=14))  # week of 2026-03-16; the week between is empty
    scenario.build()
    weeks = scenario.records(
        "select week_start, deployments, change_fail_rate, lead_time_p50_seconds, "
        "rework_rate from marts.dora_weekly order by week_start"
    )
    assert [str(w["week_start"]) for w in weeks] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    quiet = weeks[1]
    assert quiet["deployments"] == 0
    assert quiet["change_fail_rate"] is None and quiet["rework_rate"] is None
    assert quiet["lead_time_p50_seconds"] is None
    assert weeks[0]["change_fail_rate"] == 0.0


def test_deploy_days_count_distinct_days(scenario):
    scenario.chain(["a", "b", "c", "d"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(2))  # same day
    scenario.ok(3, "c", at(0, days=1))
    scenario.ok(4, "d", at(0, days=3))
    scenario.build(Settings())
    assert scenario.query("select deployments, deploy_days from marts.dora_weekly") == [(4, 3)]


def test_lead_time_uses_author_date_not_committer_date(scenario):
    scenario.chain(["a"])
    scenario.add(
        "commits",
        sha=sha("b"),
        parents=[sha("a")],
        author_date=T0 - timedelta(hours=4),
        committer_date=T0 - timedelta(hours=1),
        message="rebased",
    )
    scenario.ok(1, "a", at(-2))
    scenario.ok(2, "b", at(0))
    scenario.build()
    assert scenario.query("select lead_time_seconds from marts.changes") == [(4 * 3600,)]
