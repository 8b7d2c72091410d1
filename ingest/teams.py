"""GitHub teams and their repositories (`teams_from_github = true`): who owns which repository.

`GET /orgs/{org}/teams`, then `GET /orgs/{org}/teams/{team_slug}/repos` for each team. Teams are
few, so each sync replaces an organisation's rows whole, in one transaction: a team deleted on
GitHub, or a repository taken away from a team, is gone from the next build.
"""

from __future__ import annotations

import logging
from typing import Any

from ingest.client import AccessDenied, GitHubClient, GitHubError, NotFound
from ingest.payloads import dump
from ingest.sync import FATAL, IngestRun, StreamResult

log = logging.getLogger("dora.ingest")
STREAM = "teams"


def owners_of(patterns: list[str]) -> list[str]:
    """The organisations named by repository patterns (OWNER/NAME, OWNER/*), first seen first."""
    return list(dict.fromkeys(p.partition("/")[0].lower() for p in patterns if "/" in p))


def _all_pages(client: GitHubClient, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = client.url(path, {"per_page": client.per_page})
    while url:
        response = client.get(url)
        items.extend(item for item in response.body or [] if isinstance(item, dict))
        url = response.next_url
    return items


def fetch_teams(client: GitHubClient, org: str) -> tuple[list[dict], list[dict]]:
    """Rows of `raw.github_teams` and `raw.github_team_repositories` for one organisation."""
    teams, repositories = [], []
    for item in _all_pages(client, f"/orgs/{org}/teams"):
        slug = item.get("slug")
        if not isinstance(slug, str) or not slug:
            continue
        parent = item.get("parent") if isinstance(item.get("parent"), dict) else {}
        teams.append(
            {
                "org": org,
                "slug": slug,
                "team_id": item.get("id") if isinstance(item.get("id"), int) else None,
                "name": str(item.get("name") or slug),
                "description": item.get("description")
                if isinstance(item.get("description"), str)
                else None,
                "html_url": item.get("html_url") if isinstance(item.get("html_url"), str) else None,
                "parent_slug": parent.get("slug") if isinstance(parent.get("slug"), str) else None,
                "payload": dump(item),
            }
        )
        for repo in _all_pages(client, f"/orgs/{org}/teams/{slug}/repos"):
            if not isinstance(repo.get("full_name"), str):
                continue
            repositories.append(
                {
                    "org": org,
                    "team_slug": slug,
                    "repo_full_name": repo["full_name"],
                    "role_name": repo.get("role_name")
                    if isinstance(repo.get("role_name"), str)
                    else None,
                    "payload": dump(repo),
                }
            )
    return teams, repositories


def sync_org_teams(run: IngestRun, patterns: list[str]) -> list[StreamResult]:
    """Replace each organisation's teams; a missing `read:org` scope is one reported line."""
    results = []
    for org in owners_of(patterns):
        result = StreamResult(f"{org}/*", STREAM)
        client = run.client()
        client.owner = org
        try:
            teams, repositories = fetch_teams(client, org)
            with run.store.transaction() as tx:
                tx.delete("github_team_repositories", "org = ?", [org])
                tx.delete("github_teams", "org = ?", [org])
                result.counts["github_teams"] = tx.upsert("github_teams", teams)
                result.counts["github_team_repositories"] = tx.upsert(
                    "github_team_repositories", repositories
                )
            result.seen = len(teams)
            log.info("%s: %d teams, %d team repositories", org, len(teams), len(repositories))
        except FATAL:
            raise
        except NotFound:  # a user, not an organisation: no teams to read
            result.notes.append(f"{org}: not an organisation, no teams")
        except AccessDenied:
            result.error = f"{org} teams: no access (the token needs the read:org scope)"
        except GitHubError as exc:
            result.error = f"{org} teams: {exc}"
        finally:
            client.close()
        if result.error:
            log.warning("%s", result.error)
        results.append(result)
    run.results.extend(results)
    return results
