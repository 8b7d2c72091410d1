"""`OWNER/*`: every repository of an organisation or a user, less archived ones and forks.

Archived repositories are frozen and forks mostly mirror another repository's history, so both
are left out of a wildcard unless `github.include_archived` / `github.include_forks` say
otherwise; a repository named explicitly (`OWNER/NAME`) is always synced.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.client import AccessDenied, GitHubClient, NotFound
from settings.config import GitHubSettings


@dataclass(frozen=True)
class ListedRepo:
    """One item of an owner's repository listing."""

    full_name: str
    repo_id: int | None
    archived: bool
    fork: bool


def list_owner(client: GitHubClient, owner: str) -> list[ListedRepo]:
    """Every repository of `owner`: `/orgs/OWNER/repos`, else (404: a user) the user's own."""
    try:
        return _listing(client, f"/orgs/{owner}/repos")
    except NotFound:  # GitHub answers 404 for /orgs/USER/repos: a user
        return _user_repos(client, owner)


def wanted(listed: list[ListedRepo], github: GitHubSettings) -> tuple[list[ListedRepo], str]:
    """The repositories a wildcard syncs, and a note on those it leaves out ("" if none)."""
    kept = [
        r
        for r in listed
        if (github.include_archived or not r.archived) and (github.include_forks or not r.fork)
    ]
    left = [r for r in listed if r not in kept]
    if not left:
        return kept, ""
    archived = sum(r.archived for r in left)
    forks = sum(r.fork and not r.archived for r in left)
    parts = [f"{archived} archived" if archived else "", f"{forks} fork(s)" if forks else ""]
    return kept, (
        f"{' and '.join(p for p in parts if p)} left out "
        "(github.include_archived / github.include_forks to sync them)"
    )


def _user_repos(client: GitHubClient, owner: str) -> list[ListedRepo]:
    """A user's own repositories: private ones too when the token is that user's."""
    try:
        me = client.get(client.url("/user")).body
    except (NotFound, AccessDenied):  # an installation or Actions token has no user
        me = None
    login = me.get("login") if isinstance(me, dict) else None
    if isinstance(login, str) and login.lower() == owner.lower():
        found = _listing(client, "/user/repos", {"affiliation": "owner"})
    else:  # public ones (`type=all` would add other owners' repos the user works on)
        found = _listing(client, f"/users/{owner}/repos", {"type": "owner"})
    return [r for r in found if r.full_name.split("/")[0].lower() == owner.lower()]


def _listing(
    client: GitHubClient, path: str, params: dict[str, str] | None = None
) -> list[ListedRepo]:
    found: list[ListedRepo] = []
    query = {"per_page": client.per_page, **(params or {"type": "all"})}
    url: str | None = client.url(path, query)
    while url:
        response = client.get(url)
        found.extend(
            ListedRepo(
                r["full_name"], r.get("id"), r.get("archived") is True, r.get("fork") is True
            )
            for r in response.body or []
            if isinstance(r, dict) and isinstance(r.get("full_name"), str)
        )
        url = response.next_url
    return found
