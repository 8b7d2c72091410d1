"""Teams, rolling levels and goals: team x scope mapping, levels that do not flap, goal status.

Every scenario deploys at 10:00 UTC on the days given; T0 (at(0)) is Monday 2026-03-02 09:00.
"""

from __future__ import annotations

from datetime import timedelta

from model_scenario import at

from settings.config import Settings

WEEKDAYS = (0, 1, 2, 3, 4)


def _ship(scenario, repo: str, days: list[float], lead_hours: float | list[float] = 2, first_id: int = 1):  # fmt: skip
    """A baseline the day before the first, then one commit and one deployment on each day."""
    scenario.repo = repo
    if repo != "acme/api":
        scenario.add("repositories", html_url=f"https://github.com/{repo}", default_branch="main")
    leads = lead_hours if isinstance(lead_hours, list) else [lead_hours] * len(days)
    name = repo.split("/")[1]
    scenario.commit(f"{name}-base", [], at(-24, days=days[0] - 1))
    scenario.ok(first_id, f"{name}-base", at(0, days=days[0] - 1))
    previous = f"{name}-base"
    for i, (day, lead) in enumerate(zip(days, leads, strict=True)):
        commit = f"{name}-{i}"
        scenario.commit(commit, [previous], at(1 - lead, days=day))
        scenario.ok(first_id + 1 + i, commit, at(1, days=day))
        previous = commit
    scenario.repo = "acme/api"


def _weekdays(weeks: range) -> list[int]:
    return [7 * week + day for week in weeks for day in WEEKDAYS]


TWO_TEAMS = Settings.model_validate(
    {
        "teams": [
            {"name": "Backend", "repos": ["acme/api", "acme/shared"]},
            {"name": "Frontend", "repos": ["acme/web", "acme/sh*"]},
        ]
    }
)


def test_a_scope_in_two_teams_counts_for_both_and_once_for_the_organisation(scenario):
    _ship(scenario, "acme/api", _weekdays(range(2)), first_id=100)  # 1 + 10 deployments
    _ship(scenario, "acme/web", _weekdays(range(1)), first_id=200)  # 1 + 5
    _ship(scenario, "acme/shared", [0, 2, 4], first_id=300)  # 1 + 3
    scenario.build(TWO_TEAMS, as_of=at(15, days=11))
    scopes = scenario.query("select team, repo, service from marts.team_scopes order by all")
    assert scopes == [
        ("Backend", "acme/api", "api"),
        ("Backend", "acme/shared", "shared"),
        ("Frontend", "acme/shared", "shared"),
        ("Frontend", "acme/web", "web"),
    ]
    counted = dict(
        scenario.query(
            "select unit, counted_deployments from marts.rolling_levels "
            "where is_latest and metric = 'change_fail_rate' and unit_kind <> 'service'"
        )
    )
    # window (02-11 00:00, 03-13 00:00]: every deployment; shared's 4 count in both teams
    assert counted == {"Backend": 11 + 4, "Frontend": 6 + 4, "organisation": 11 + 6 + 4}


def test_services_narrow_a_team_to_some_scopes_of_its_repositories(scenario):
    _ship(scenario, "acme/api", [0, 1], first_id=100)
    settings = Settings.model_validate(
        {
            "teams": [
                {"name": "Ops", "repos": ["acme/*"], "services": ["API"]},
                {"name": "None", "repos": ["acme/*"], "services": ["other"]},
            ]
        }  # fmt: skip
    )
    scenario.build(settings, as_of=at(15, days=2))
    assert scenario.query("select team, repo, service from marts.team_scopes") == [("Ops", "acme/api", "api")]  # fmt: skip
    assert scenario.query("select team from marts.teams order by team_order") == [("Ops",), ("None",)]  # fmt: skip


def test_github_teams_fill_in_what_the_config_does_not_say(scenario):
    _ship(scenario, "acme/api", [0, 1], first_id=100)
    _ship(scenario, "acme/web", [0, 1], first_id=200)
    for slug, name, repos in (("web-team", "Web Team", ["acme/web"]), ("core", "Core", ["acme/api", "acme/web"])):  # fmt: skip
        scenario.rows.setdefault("github_teams", []).append({"org": "acme", "slug": slug, "name": name})  # fmt: skip
        for repo in repos:
            row = {"org": "acme", "team_slug": slug, "repo_full_name": repo}
            scenario.rows.setdefault("github_team_repositories", []).append(row)
    # "web-team" is named by its slug in the config, which gives recipients but no repositories:
    # GitHub's repositories stand. "Core" lists only acme/api here: the config wins.
    settings = Settings.model_validate(
        {
            "teams_from_github": True,
            "teams": [
                {"name": "web-team", "recipients": ["web@example.com"]},
                {"name": "CORE", "repos": ["acme/api"]},
            ],
        }
    )
    scenario.build(settings, as_of=at(15, days=2))
    teams = scenario.query("select team, source, github_slug, recipients from marts.teams order by team_order")  # fmt: skip
    assert teams == [
        ("web-team", "config and github", "web-team", ["web@example.com"]),
        ("CORE", "config and github", "core", []),
    ]
    owned = scenario.query("select team, repo, source from marts.team_repositories order by all")
    assert owned == [("CORE", "acme/api", "config"), ("web-team", "acme/web", "github")]


GOALS = Settings.model_validate(
    {
        "teams": [{"name": "API", "repos": ["acme/api"]}],
        "goals": [
            {"team": "API", "metric": "lead_time", "target": "< 1 day"},
            {"team": "*", "metric": "deploy_days", "target": ">= 3"},
            {"metric": "change_fail_rate", "target": "<= 10%"},
        ],
    }
)


def test_goal_status_per_week_is_met_missed_or_no_data_with_streaks(scenario):
    # week 1: five deploys, 2 h lead times; week 2: five, 2 days each; week 3: none;
    # week 4: two. The baseline deploys on Sunday of week 0.
    days = _weekdays(range(2)) + [21, 23]
    _ship(scenario, "acme/api", days, lead_hours=[2] * 5 + [48] * 5 + [2, 2])
    scenario.build(GOALS, as_of=at(3, days=28))  # Monday after week 4, 12:00
    rows = scenario.records(
        "select metric, period_start, status, value, streak, no_data_reason, is_latest "
        "from marts.goal_status order by metric, period_end"
    )
    by_metric: dict[str, list[tuple]] = {}
    for row in rows:
        by_metric.setdefault(row["metric"], []).append((row["status"], row["value"], row["streak"]))  # fmt: skip
    # weeks 0 (the baseline alone), 1, 2, 3, 4
    assert by_metric["deploy_days"] == [
        ("missed", 1.0, 1),  # one deploy day is data: too few, not unknown
        ("met", 5.0, 1),
        ("met", 5.0, 2),
        ("missed", 0.0, 1),  # a week without a deployment misses a frequency goal
        ("missed", 2.0, 2),
    ]
    assert by_metric["lead_time"] == [
        ("no data", None, 1),  # the baseline has no attributed change
        ("met", 7200.0, 1),
        ("missed", 172800.0, 1),
        ("no data", None, 1),
        ("no data", 7200.0, 2),  # 2 counted deployments, fewer than 5: never "met"
    ]
    assert [status for status, _, _ in by_metric["change_fail_rate"]] == ["no data", "met", "met", "no data", "no data"]  # fmt: skip
    latest = [r for r in rows if r["is_latest"]]
    assert {r["metric"] for r in latest} == {"deploy_days", "lead_time", "change_fail_rate"}
    assert all(r["period_start"] == at(-9, days=21) for r in latest)  # week 4, Monday 00:00
    (reason,) = [r["no_data_reason"] for r in latest if r["metric"] == "lead_time"]
    assert reason == "2 counted deployments, fewer than 5"


def test_a_goal_for_every_team_without_teams_is_the_organisations(scenario):
    _ship(scenario, "acme/api", _weekdays(range(1)))
    settings = Settings.model_validate({"goals": [{"metric": "deploy_days", "target": ">= 3"}]})
    scenario.build(settings, as_of=at(3, days=7))
    assert scenario.query("select unit_kind, team, status from marts.goal_status where is_latest") == [("organisation", "organisation", "met")]  # fmt: skip


def test_rolling_levels_need_enough_counted_deployments(scenario):
    # 3 deployments in 30 days: no level, "not enough data" (the weekly email banded each week)
    _ship(scenario, "acme/api", [0, 7, 14])
    scenario.build(as_of=at(15, days=15))
    states = scenario.query(
        "select metric, state, level from marts.rolling_levels "
        "where is_latest and unit_kind = 'service' order by metric"
    )
    assert states == [
        ("change_fail_rate", "not enough data", None),
        ("deployment_frequency", "not enough data", None),
        ("lead_time", "not enough data", None),
        ("recovery", "not enough data", None),
    ]
    settings = Settings.model_validate({"levels": {"min_counted_deployments": 3}})
    scenario.build(settings, as_of=at(15, days=15))
    lead = scenario.query(
        "select state, level, value from marts.rolling_levels "
        "where is_latest and unit_kind = 'service' and metric = 'lead_time'"
    )
    assert lead == [("banded", "elite", 7200.0)]


def test_rolling_windows_end_at_each_week_and_at_as_of(scenario):
    _ship(scenario, "acme/api", _weekdays(range(3)))
    scenario.build(as_of=at(3, days=18))  # Friday of week 3, 12:00
    points = scenario.query(
        "select distinct evaluated_at, is_latest, window_start from marts.rolling_levels "
        "where unit_kind = 'service' order by evaluated_at"
    )
    monday = at(-9)  # 2026-03-02 00:00
    assert points == [
        (monday, False, monday - timedelta(days=30)),  # the baseline's week ends here
        (monday + timedelta(days=7), False, monday - timedelta(days=23)),
        (monday + timedelta(days=14), False, monday - timedelta(days=16)),
        (at(3, days=18), True, at(3, days=-12)),
    ]


def test_exports_carry_the_teams_of_each_row(scenario, tmp_path):
    import pandas as pd

    from models.export import export
    from models.publish import publish

    _ship(scenario, "acme/api", [0, 1], first_id=100)
    _ship(scenario, "acme/shared", [0, 1], first_id=300)
    scenario.build(TWO_TEAMS, as_of=at(15, days=2))
    publish(scenario.con, tmp_path / "work.duckdb")
    for file_format in ("csv", "parquet"):
        export(tmp_path / "work.duckdb", tmp_path / file_format, file_format)
        read = pd.read_csv if file_format == "csv" else pd.read_parquet
        deployments = read(tmp_path / file_format / f"deployments.{file_format}")
        teams = dict(zip(deployments["repo"], deployments["teams"], strict=False))
        assert teams == {"acme/api": "Backend", "acme/shared": "Backend, Frontend"}
        quality = read(tmp_path / file_format / f"data_quality.{file_format}")  # repository rows
        assert dict(zip(quality["repo"], quality["teams"], strict=True))["acme/shared"] == "Backend, Frontend"  # fmt: skip
        assert "teams" not in read(tmp_path / file_format / f"team_scopes.{file_format}").columns
