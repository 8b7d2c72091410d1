"""METRICS.md section 4 and dora_summary: the window, deploy days per week, levels by edition."""

import duckdb
from model_scenario import at

from models.levels import LEVEL_MACRO, MEASURES, METRICS
from settings.config import MetricSettings, Settings

WORKDAYS = (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)  # two weeks, Monday to Friday


def _two_busy_weeks(scenario):
    scenario.commit("base", [], at(-48, days=-1))
    previous = "base"
    for day in WORKDAYS:
        scenario.commit(f"c{day}", [previous], at(-1, days=day))  # authored 08:00
        previous = f"c{day}"
    scenario.ok(1, "base", at(0, days=-1))  # baseline, before the window
    for day in WORKDAYS:
        scenario.ok(100 + day, f"c{day}", at(1, days=day))  # deployed 10:00 -> lead 2 h
    # a failed attempt of another sha at 09:30 on day 2, restored by the 10:00 deployment:
    # 30 min (of c2 itself it would be a retried attempt, counted nowhere)
    scenario.failed(50, "x2", at(0.5, days=2))
    scenario.ok(200, "c11", at(1, days=11), environment="staging")


def _summary(scenario, environment="production"):
    (row,) = scenario.records(
        f"select * from marts.dora_summary where environment = '{environment}'"
    )
    return row


def test_summary_over_the_window_with_2023_levels(scenario):
    _two_busy_weeks(scenario)
    scenario.build(as_of=at(0, days=14), window_days=14)
    row = _summary(scenario)
    # window (Mon 03-02 09:00, Mon 03-16 09:00]: the baseline of 03-01 is outside
    assert row["deployments"] == 10 and row["deploy_days"] == 10
    assert row["change_failures"] == 1
    assert row["change_fail_rate"] == 1 / 11  # 10 successes + 1 failed attempt
    assert row["lead_time_p50_seconds"] == 7200
    assert row["recovery_p50_seconds"] == 1800
    assert row["deploys_per_week"] == 5.0  # 10 over 14 days
    # the one ISO week wholly inside the window (Mon 03-09 - Sun 03-15) has 5 deploy days;
    # no calendar month lies wholly inside
    assert row["deploy_days_per_week_p50"] == 5
    assert row["deploy_days_per_month_p50"] is None
    assert row["rework_rate"] == 0.0  # restoring a failed attempt alone is not rework
    assert (
        row["deployment_frequency_level"],
        row["lead_time_level"],
        row["change_fail_rate_level"],
        row["recovery_level"],
    ) == ("elite", "elite", "high", "elite")  # 9.1 % is above 5 % and at most 10 %
    staging = _summary(scenario, "staging")
    assert staging["deployments"] == 1 and staging["deployment_frequency_level"] is None


def test_edition_2021_uses_its_own_bands(scenario):
    _two_busy_weeks(scenario)
    scenario.build(
        Settings(metrics=MetricSettings(edition="2021")), as_of=at(0, days=14), window_days=14
    )
    row = _summary(scenario)
    # 2021: lead time elite needs < 1 hour (2 h -> high); change fail rate elite up to 15 %
    assert (row["lead_time_level"], row["change_fail_rate_level"]) == ("high", "elite")
    assert scenario.query("select count(distinct edition) from marts.dora_levels") == [(3,)]


def test_no_deployments_in_the_window_is_no_data_not_a_level(scenario):
    scenario.chain(["a", "b"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.build(as_of=at(0, days=60), window_days=30)
    row = _summary(scenario)
    assert row["deployments"] == 0
    assert row["change_fail_rate"] is None and row["lead_time_p50_seconds"] is None
    assert row["deploys_per_week"] is None
    assert row["deployment_frequency_level"] is None and row["change_fail_rate_level"] is None


def test_low_level_when_slow(scenario):
    scenario.chain(["a"])
    scenario.commit("b", ["a"], at(-24 * 40, days=-14))  # authored 40 days before its deploy
    scenario.ok(1, "a", at(-1, days=-14))  # Mon 02-16
    scenario.ok(2, "b", at(0, days=-14))
    scenario.build(as_of=at(1), window_days=31)
    row = _summary(scenario)
    # window (01-30 10:00, 03-02 10:00]: whole ISO weeks of 02-02, 02-09, 02-16 and 02-23 hold
    # 0, 0, 1, 0 deploy days -> median 0 per week; the whole month of February holds 1 -> medium;
    # lead 40 days -> low
    assert row["deploy_days_per_week_p50"] == 0
    assert row["deploy_days_per_month_p50"] == 1
    assert row["deployment_frequency_level"] == "medium"
    assert row["lead_time_level"] == "low"
    # 28 days, (02-02 10:00, 03-02 10:00], hold no whole month: with a weekly median of 0
    # (weeks of 02-09, 02-16, 02-23: 0, 1, 0) medium and low cannot be told apart -> no level
    scenario.build(as_of=at(1), window_days=28)
    row = _summary(scenario)
    assert (row["deploy_days_per_week_p50"], row["deploy_days_per_month_p50"]) == (0, None)
    assert row["deployment_frequency_level"] is None
    assert row["lead_time_level"] == "low"


def test_readers_band_with_the_same_macro_on_a_read_only_snapshot(scenario, tmp_path):
    """dashboard and weekly email: `LEVEL_MACRO` in front of a query on the snapshot's levels."""
    _two_busy_weeks(scenario)
    scenario.build(as_of=at(0, days=14), window_days=14)
    snapshot = tmp_path / "snapshot.duckdb"
    scenario.con.execute(f"attach '{snapshot}' as snap")
    scenario.con.execute("create table snap.dora_levels as select * from marts.dora_levels")
    scenario.con.execute("detach snap")
    row = _summary(scenario)
    measures = "{" + ", ".join(f"{name}: ?" for name in MEASURES) + "}"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        levels = {
            metric: con.execute(
                LEVEL_MACRO + f"select dora_level('dora_levels', '2023', ?, {measures})",
                [metric, *(row[name] for name in MEASURES)],
            ).fetchone()[0]
            for metric in METRICS
        }
        no_data = con.execute(
            LEVEL_MACRO + f"select dora_level('dora_levels', '2023', 'recovery', {measures})",
            [*(row[name] for name in MEASURES[:-1]), None],
        ).fetchone()[0]
    assert (
        levels
        == {
            "deployment_frequency": row["deployment_frequency_level"],
            "lead_time": row["lead_time_level"],
            "change_fail_rate": row["change_fail_rate_level"],
            "recovery": row["recovery_level"],
        }
        == {
            "deployment_frequency": "elite",
            "lead_time": "elite",
            "change_fail_rate": "high",
            "recovery": "elite",
        }
    )
    assert no_data is None  # no data is no level, never the best one


def test_deploy_days_are_counted_per_whole_iso_week_and_calendar_month(scenario):
    # deploys Monday to Thursday at 09:00 and 15:00 for 13 weeks from Mon 2026-03-02
    previous = None
    deployment_id = 0
    for week in range(13):
        for day in range(4):
            for hour in (0, 6):  # T0 is 09:00
                deployment_id += 1
                name = f"w{week}d{day}h{hour}"
                authored = at(hour - 1, days=7 * week + day)
                scenario.commit(name, [previous] if previous else [], authored)
                scenario.ok(deployment_id, name, at(hour, days=7 * week + day))
                previous = name
    as_of = at(3, days=7 * 12 + 2)  # Wednesday 2026-05-27 12:00
    scenario.build(as_of=as_of, window_days=90)
    row = _summary(scenario)
    # window (Thu 02-26 12:00, Wed 05-27 12:00]. 7-day buckets counted back from Wednesday noon
    # each held a Wednesday, Thursday, Monday, Tuesday and the next Wednesday (5 days: "elite");
    # the 12 ISO weeks lying wholly inside (03-02 to 05-18) hold 4 deploy days each -> "high"
    assert row["deploy_days_per_week_p50"] == 4
    assert row["deployment_frequency_level"] == "high"
    # whole calendar months: March (Mon-Thu: 2-5, 9-12, 16-19, 23-26, 30-31 -> 18 days) and
    # April (1-2, 6-9, 13-16, 20-23, 27-30 -> 18 days); May is not over by 05-27
    assert row["deploy_days_per_month_p50"] == 18
    # a window holding no whole ISO week has no frequency level, deploys or not
    scenario.build(as_of=as_of, window_days=6)
    row = _summary(scenario)
    # (Thu 05-21 12:00, Wed 05-27 12:00]: Thursday 15:00, Monday and Tuesday twice, Wednesday 09:00
    assert row["deployments"] == 6
    assert row["deploy_days_per_week_p50"] is None
    assert row["deployment_frequency_level"] is None
