"""METRICS.md section 4 and dora_summary: the window, deploy days per week, levels by edition."""

import duckdb
from model_scenario import at, sha

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
    assert row["deploy_days_per_week_p50"] == 5  # two 7-day buckets of 5 days each
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
    scenario.commit("b", [sha("a")[:0] or "a"], at(-24 * 40))  # authored 40 days before
    scenario.ok(1, "a", at(-1))
    scenario.ok(2, "b", at(0))
    scenario.build(as_of=at(1), window_days=28)
    row = _summary(scenario)
    # one deploy day in four weekly buckets -> median 0 per week; 28 // 30 -> one 30-day
    # bucket holding 1 day -> medium; lead 40 days -> low
    assert row["deploy_days_per_week_p50"] == 0
    assert row["deployment_frequency_level"] == "medium"
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
