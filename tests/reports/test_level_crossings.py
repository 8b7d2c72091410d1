"""The email's "DORA level crossings" follow the rolling levels: one bad week on a steady service
is no crossing; a sustained change crosses once. Built by the real models, read from a snapshot."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from models.publish import publish
from reports.levels import level_crossings
from tests.models.model_scenario import Scenario, at

WEEK_1 = date(2026, 3, 2)  # T0's Monday


@pytest.fixture
def steady(tmp_path):
    """acme/api deploys every weekday at 10:00 for 13 weeks (weeks 1-13), one commit each.

    Lead time is 2 h until week 8, then 3 days from week 8 on (sustained). In week 6 one
    deployment is followed by an incident: 1 change failure among its 5 deployments (20 % that
    week, "low" if the week were banded alone; 1 of 20 over 30 days: 5 %, still "elite").
    """
    scenario = Scenario(tmp_path / "work.duckdb")
    scenario.commit("base", [], at(-48, days=-3))
    scenario.ok(1, "base", at(0, days=-3))  # Friday of week 0
    previous = "base"
    for week in range(13):
        for weekday in range(5):
            day = 7 * week + weekday
            lead = 2 if week < 7 else 72
            scenario.commit(f"c{day}", [previous], at(1 - lead, days=day))
            scenario.ok(100 + day, f"c{day}", at(1, days=day))
            previous = f"c{day}"
    bad_day = 7 * 5 + 2  # Wednesday of week 6
    scenario.incident(1, at(2, days=bad_day), at(2.5, days=bad_day))
    scenario.build(as_of=at(0, days=7 * 13))
    publish(scenario.con, tmp_path / "work.duckdb")
    scenario.con.close()
    with duckdb.connect(str(tmp_path / "work.published.duckdb"), read_only=True) as con:
        yield con


def _crossings_by_week(con, weeks: range) -> dict[int, list[tuple]]:
    found = {}
    for week in weeks:
        crossings = level_crossings(con, WEEK_1 + timedelta(days=7 * (week - 1)))
        if crossings:
            found[week] = [(c.metric, c.previous_level, c.level, c.improved) for c in crossings]
    return found


def test_one_bad_week_is_no_crossing_and_a_sustained_change_crosses_once(steady):
    change_failures = steady.execute(
        "select count(*) from deployments where is_change_failure"
    ).fetchone()[0]
    assert change_failures == 1  # the incident made the bad week's deployment a failure
    # Weeks 5-13: after the first 30 days. The window at week 9's end holds weeks 6-9: 10 changes
    # of 2 h, 10 of 3 days: median (7200 + 259200) / 2 = 37 h, "high"; at week 8's end 15 of 20
    # were 2 h: "elite". Nothing else crosses: week 6's failure stays 1 of 20 (5 %, "elite").
    assert _crossings_by_week(steady, range(5, 14)) == {
        9: [("Change lead time (median)", "elite", "high", False)]
    }


def test_a_team_email_shows_only_its_own_scopes_crossings(steady):
    assert level_crossings(steady, WEEK_1 + timedelta(days=56), team="Nobody") == []
