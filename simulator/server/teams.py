"""The organisation's GitHub teams and their repositories, as `GET /orgs/{org}/teams` serves them.

Teams follow the kind of each repository: Platform owns the backend monorepos and Terraform,
Web the web apps, and SRE (a child of Platform) also looks after Terraform, so one repository
belongs to two teams. Shapes are GitHub's `team` and `team-repository` (a repository with the
team's `permissions` and `role_name`).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.records import Organisation, Repository
from simulator.server import payloads as render

# (name, slug, description, parent slug, repository kinds, role on them)
_TEAMS = (
    (
        "Platform",
        "platform",
        "Backend services and infrastructure",
        None,
        ("platform", "infra"),
        "maintain",
    ),  # fmt: skip
    ("Web", "web", "The customer-facing web app", None, ("web",), "admin"),
    ("SRE", "sre", "Site reliability: Terraform and on-call", "platform", ("infra",), "push"),
)
_PERMISSIONS = {  # role -> the `permissions` object GitHub shows for it
    "admin": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    "maintain": {"admin": False, "maintain": True, "push": True, "triage": True, "pull": True},
    "push": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
}


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    slug: str
    description: str
    parent: str | None
    role: str
    repos: tuple[Repository, ...]


def _kind(repo: Repository) -> str:
    return repo.name.split("-")[0]  # large-scale clones are named like `web-07`


def org_teams(org: Organisation) -> list[Team]:
    """Every team of the organisation, in the order GitHub lists them (by name)."""
    teams = []
    for name, slug, description, parent, kinds, role in _TEAMS:
        repos = tuple(
            sorted((r for r in org.repos.values() if _kind(r) in kinds), key=lambda r: r.full_name)
        )
        team_id = render.derived_id("team", org.login, slug) % 10_000_000
        teams.append(Team(team_id, name, slug, description, parent, role, repos))
    return sorted(teams, key=lambda team: team.name.lower())


def team(api: str, web: str, org: Organisation, found: Team, by_slug: dict[str, Team]) -> dict:
    """An item of `GET /orgs/{org}/teams`."""
    t = f"{api}/organizations/{render.org_id(org.login)}/team/{found.id}"
    parent = by_slug.get(found.parent) if found.parent else None
    return {
        "id": found.id,
        "node_id": render.node_id("T", found.id),
        "url": t,
        "html_url": f"{web}/orgs/{org.login}/teams/{found.slug}",
        "name": found.name,
        "slug": found.slug,
        "description": found.description,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{t}/members{{/member}}",
        "repositories_url": f"{t}/repos",
        "type": "organization",
        "organization_id": render.org_id(org.login),
        "parent": None if parent is None else _parent(api, web, org, parent),
    }


def _parent(api: str, web: str, org: Organisation, parent: Team) -> dict:
    t = f"{api}/organizations/{render.org_id(org.login)}/team/{parent.id}"
    return {
        "id": parent.id,
        "node_id": render.node_id("T", parent.id),
        "url": t,
        "members_url": f"{t}/members{{/member}}",
        "name": parent.name,
        "description": parent.description,
        "permission": "pull",
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "html_url": f"{web}/orgs/{org.login}/teams/{parent.slug}",
        "repositories_url": f"{t}/repos",
        "slug": parent.slug,
        "type": "organization",
    }


def team_repository(api: str, web: str, repo: Repository, role: str) -> dict:
    """An item of `GET /orgs/{org}/teams/{team_slug}/repos`: the repository, the team's rights."""
    body = render.repository(api, web, repo, full=False)
    body["permissions"] = dict(_PERMISSIONS[role])
    body["role_name"] = role
    return body
