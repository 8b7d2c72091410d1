"""`[[teams]]`, `[[goals]]`, `[levels]` and `[alerts]`: what they accept, and one clear line otherwise."""

import subprocess
import sys

import pytest

from settings.config import Settings, load_settings
from settings.teams import parse_target

TEAMS = """
[[teams]]
name = "Web"
repos = ["Acme/web*"]
recipients = ["web@example.com"]

[[teams]]
name = "Platform"
repos = ["acme/platform", "acme/infra"]
services = ["API", "billing"]

[[goals]]
team = "Web"
metric = "lead_time"
target = "< 1 day"

[[goals]]
metric = "change_fail_rate"
target = "<= 10 %"
period = "30 days"

[[goals]]
team = "Platform"
metric = "deploy_days"
target = ">= 3 deploy days a week"
"""


def test_teams_and_goals_are_read_with_their_targets_in_base_units(tmp_path):
    path = tmp_path / "dora.toml"
    path.write_text(TEAMS)
    settings = load_settings(path)
    web, platform = settings.teams
    assert (web.name, web.repos, web.services, web.recipients) == ("Web", ["acme/web*"], [], ["web@example.com"])  # fmt: skip
    assert platform.services == ["api", "billing"]  # names are compared lower-case
    lead, failures, days = settings.goals
    assert (lead.team, lead.environment, lead.comparison, lead.threshold, lead.period_days) == ("Web", "production", "<", 86400, 7)  # fmt: skip
    assert (failures.team, failures.comparison, failures.threshold, failures.period_days) == ("*", "<=", 0.1, 30)  # fmt: skip
    assert (days.comparison, days.threshold) == (">=", 3)
    assert lead.label == "Change lead time (median) < 1 day, each week"
    assert days.label == "Deploy days >= 3 a week, each week"
    assert failures.label == "Change fail rate <= 10 %, over 30 days"
    assert (settings.levels.window_days, settings.levels.min_counted_deployments) == (30, 5)


@pytest.mark.parametrize(
    ("metric", "target", "expected"),
    [
        ("lead_time", "<2h", ("<", 7200)),
        ("recovery", "≤ 30 min", ("<=", 1800)),
        ("change_fail_rate", "< 15%", ("<", 0.15)),
        ("rework_rate", ">= 0.5 %", (">=", 0.005)),
        ("deployment_frequency", "> 10 deploys per week", (">", 10)),
        ("deploy_days", "≥ 4", (">=", 4)),
    ],
)
def test_targets_read_as_people_write_them(metric, target, expected):
    assert parse_target(metric, target) == expected


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[[teams]]\nname = "  "\n', "teams.0.name: a team's name must not be empty"),
        ('[[teams]]\nname = "*"\n', "teams.0.name: '*' is not a team's name"),
        ('[[teams]]\nname = "A"\nrepos = ["web"]\n', "'web' is not OWNER/NAME"),
        ('[[teams]]\nname = "A"\nrecipients = ["nobody"]\n', "'nobody' is not an email address"),
        ('[[teams]]\nname = "A"\n[[teams]]\nname = "a"\n', "teams: 'a' is defined twice"),
        (
            '[[goals]]\nteam = "Ghost"\nmetric = "lead_time"\ntarget = "< 1 day"\n',
            "goals: team 'Ghost' is not in [[teams]]",
        ),  # fmt: skip
        ('[[goals]]\nmetric = "lead_time"\ntarget = "< 10"\n', "needs a duration unit"),
        ('[[goals]]\nmetric = "change_fail_rate"\ntarget = "<= 0.1"\n', "needs a percentage"),
        ('[[goals]]\nmetric = "change_fail_rate"\ntarget = "<= 150%"\n', "is over 100%"),
        ('[[goals]]\nmetric = "deploy_days"\ntarget = ">= 3 hours"\n', "is a number per week"),
        ('[[goals]]\nmetric = "lead_time"\ntarget = "fast"\n', "is not a comparison and a number"),
        ('[[goals]]\nmetric = "happiness"\ntarget = ">= 1"\n', "goals.0.metric: Input should be"),
        ('[[goals]]\nmetric = "lead_time"\ntarget = "< 1d"\nperiod = "year"\n', "goals.0.period"),
        ("[levels]\nmin_counted_deployments = 0\n", "levels.min_counted_deployments"),
        (
            '[alerts]\nwebhook_url_env = "https://hooks.slack.com/services/T/B/X"\n',
            "must name an environment variable",
        ),  # fmt: skip
        ("[teams]\nfrom_github = true\n", "teams: Input should be a valid list"),
    ],
)
def test_a_bad_team_goal_or_alert_setting_is_one_line_and_exit_2(tmp_path, toml, expected):
    path = tmp_path / "dora.toml"
    path.write_text(toml)
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "config", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_goals_may_name_teams_that_only_github_knows():
    settings = Settings.model_validate(
        {
            "teams_from_github": True,
            "goals": [{"team": "justice-league", "metric": "lead_time", "target": "< 1 day"}],
        }  # fmt: skip
    )
    assert settings.goals[0].team == "justice-league"


def test_a_webhook_url_in_the_file_never_reaches_an_error_line(tmp_path):
    secret = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
    path = tmp_path / "dora.toml"
    path.write_text(f'[alerts]\nwebhook_url_env = "{secret}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "config", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "SECRETSECRET" not in result.stderr + result.stdout
