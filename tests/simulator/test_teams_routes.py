"""`GET /orgs/{org}/teams` and each team's repositories, in GitHub's shapes, through PyGithub."""

from __future__ import annotations

import json
from pathlib import Path

from github import Auth, Github

from simulator.server import SimulatorServer

REFERENCE = Path("/work/shared/reference/github-api/rest-api-description-examples")


def test_teams_and_their_repositories_read_through_pygithub(server: SimulatorServer):
    gh = Github(auth=Auth.Token("x"), base_url=server.base_url, per_page=1, seconds_between_requests=0)  # fmt: skip
    org = gh.get_organization("acme")
    teams = {team.slug: team for team in org.get_teams()}  # per_page=1: paginated by Link
    assert set(teams) == {"platform", "web", "sre"}
    assert teams["sre"].parent.slug == "platform"
    repos = {slug: sorted(r.full_name for r in team.get_repos()) for slug, team in teams.items()}
    # the fixture organisation has acme/platform and acme/web; infra-kind repos belong to SRE
    assert repos == {"platform": ["acme/platform"], "web": ["acme/web"], "sre": []}
    web_repo = next(iter(teams["web"].get_repos()))
    assert web_repo.permissions.admin is True and web_repo.role_name == "admin"


def test_team_items_carry_the_fields_of_githubs_example(server: SimulatorServer):
    import urllib.request

    with urllib.request.urlopen(f"{server.base_url}/orgs/acme/teams", timeout=10) as response:
        served = json.loads(response.read())
    example = json.loads((REFERENCE / "pull-request-simple-items.json").read_text())[0]
    expected = set(example["requested_teams"][0])
    assert expected <= set(served[0]), expected - set(served[0])
    missing = urllib.request.Request(f"{server.base_url}/orgs/acme/teams/nobody/repos")
    try:
        urllib.request.urlopen(missing, timeout=10)
    except urllib.error.HTTPError as err:
        assert err.code == 404
    else:
        raise AssertionError("an unknown team must be a 404")
