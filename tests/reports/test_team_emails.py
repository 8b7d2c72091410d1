"""`dora report --send`: the organisation's summary to email.recipients, each team's to its own."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys

from models.publish import publish
from settings.config import load_settings
from tests.models.model_scenario import Scenario, at
from tests.reports.smtp_harness import write_config


def test_each_team_gets_its_own_email_with_its_scopes_and_goals(tmp_path, smtp_server):
    scenario = Scenario(tmp_path / "dora.duckdb")
    for repo, first in (("acme/api", 10), ("acme/web", 50)):
        scenario.repo = repo
        if repo != "acme/api":  # the scenario's own repository is there already
            scenario.add("repositories", html_url=f"https://github.com/{repo}", default_branch="main")  # fmt: skip
        scenario.chain([f"{repo}-a", f"{repo}-b"])
        scenario.ok(first, f"{repo}-a", at(1))
        scenario.ok(first + 1, f"{repo}-b", at(2))
    config = write_config(tmp_path / "dora.toml", smtp_server.port)
    with config.open("a") as file:
        file.write(
            '[[teams]]\nname = "Backend <b>"\nrepos = ["acme/api"]\nrecipients = ["api@example.com"]\n'
            '[[teams]]\nname = "Front"\nrepos = ["acme/web"]\n'  # no recipients: no email of its own
            '[[goals]]\nmetric = "deploy_days"\ntarget = ">= 1"\n'
        )
    scenario.build(load_settings(config), as_of=at(0, days=8))
    publish(scenario.con, tmp_path / "dora.duckdb")
    scenario.con.close()
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "report", "--send", "--week", "2026-03-02",
         "--db", str(tmp_path / "dora.duckdb"), "--config", str(config)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    sent = {tuple(m.recipients): email.message_from_bytes(m.data, policy=email.policy.default) for m in smtp_server.handler.messages}  # fmt: skip
    assert set(sent) == {("lead@example.com",), ("api@example.com",)}
    org, team = sent[("lead@example.com",)], sent[("api@example.com",)]
    assert "· Backend <b>:" in team["Subject"] and "Backend" not in org["Subject"]
    team_text = team.get_body(preferencelist=("plain",)).get_content()
    org_text = org.get_body(preferencelist=("plain",)).get_content()
    assert "acme/api / production" in team_text and "acme/web" not in team_text.split("Goals")[0]
    assert "acme/api / production" in org_text and "acme/web / production" in org_text
    # goals: the team's own in its email, every team's in the organisation's
    assert "met · Backend <b> · Deploy days >= 1 a week, each week: 1 a week" in team_text
    assert "Front · Deploy days" in org_text and "Front · Deploy days" not in team_text
    html = team.get_body(preferencelist=("html",)).get_content()
    assert "Backend &lt;b&gt;" in html and "Backend <b>" not in html
