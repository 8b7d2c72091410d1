"""Render simulator records into GitHub-shaped JSON dicts (keys, order and types of real payloads).

Every function takes `api` (the API root the client used, e.g. `http://127.0.0.1:PORT` or
`.../api/v3`) and `web` (the same host without the API prefix, for `html_url`s), so a client
following URLs from bodies stays on the simulator. Shapes follow the newest recordings in
`shared/reference/github-api/` (see tests/simulator/test_payload_shapes.py for which one).
Objects repeated on every item (users, embedded repositories) are fragment tokens: serialise
payloads with `simulator.server.responses.dump`, which splices their JSON in.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime
from urllib.parse import quote

from simulator.records import (
    Organisation,
    Person,
    Repository,
)
from simulator.server.responses import FRAGMENTS


def ts(value: datetime | None) -> str | None:
    """GitHub's REST timestamp: UTC, seconds, `Z` (commit dates too: GitHub normalises them)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_millis(value: datetime) -> str:
    """Workflows and job steps carry milliseconds (`2020-04-15T00:48:32.000Z`), as GitHub sends them."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def node_id(prefix: str, number: int) -> str:
    """A stable GraphQL id in GitHub's current style: `PREFIX_` + base64url(MessagePack [0, id]),
    e.g. `U_kgDOCl7YiA` (ingest.node_ids reads the id back, as it does from GitHub's)."""
    if number < 0x80:
        packed = bytes([number])
    else:
        width = next(w for w in (1, 2, 4, 8) if number < 1 << (8 * w))
        packed = bytes([{1: 0xCC, 2: 0xCD, 4: 0xCE, 8: 0xCF}[width]]) + number.to_bytes(
            width, "big"
        )
    raw = bytes([0x92, 0x00]) + packed
    return f"{prefix}_{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def derived_sha(*parts: object) -> str:
    """A stable 40-hex sha for objects the records do not carry (trees, blobs of synthetic files)."""
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def derived_id(*parts: object) -> int:
    """A stable positive int for objects the records do not carry (labels, protection rules)."""
    return zlib.crc32(":".join(map(str, parts)).encode()) + 1


def blob_sha(text: str) -> str:
    """Git's blob sha of a file, as the Contents API reports it."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def base64_lines(text: str) -> str:
    """Base64 wrapped every 60 characters with a trailing newline, as the Contents API sends files."""
    encoded = base64.b64encode(text.encode()).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


# --- Users and repositories ---


def user(api: str, web: str, login: str, user_id: int, kind: str = "User") -> dict:
    """The 19-key simple user object."""
    u = f"{api}/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id("U" if kind == "User" else "O", user_id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{web}/{login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def person(api: str, web: str, p: Person) -> str:
    """A person's user object, as a fragment token (see simulator.server.responses.Fragments)."""
    key = ("user", api, web, p.login, p.id)
    return FRAGMENTS.token(key, lambda: user(api, web, p.login, p.id))


def org_id(login: str) -> int:
    return derived_id("org", login) % 90_000_000 + 10_000_000


def owner(api: str, web: str, login: str) -> str:
    """The organisation's user object, as a fragment token."""
    key = ("owner", api, web, login)
    return FRAGMENTS.token(key, lambda: user(api, web, login, org_id(login), kind="Organization"))


def minimal_repository(api: str, web: str, repo: Repository) -> dict:
    """The 46-key repository embedded in runs (`repository`, `head_repository`)."""
    r = f"{api}/repos/{repo.full_name}"
    return {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": owner(api, web, repo.owner),
        "html_url": f"{web}/{repo.full_name}",
        "description": repo.description,
        "fork": repo.fork,
        "url": r,
        "forks_url": f"{r}/forks",
        "keys_url": f"{r}/keys{{/key_id}}",
        "collaborators_url": f"{r}/collaborators{{/collaborator}}",
        "teams_url": f"{r}/teams",
        "hooks_url": f"{r}/hooks",
        "issue_events_url": f"{r}/issues/events{{/number}}",
        "events_url": f"{r}/events",
        "assignees_url": f"{r}/assignees{{/user}}",
        "branches_url": f"{r}/branches{{/branch}}",
        "tags_url": f"{r}/tags",
        "blobs_url": f"{r}/git/blobs{{/sha}}",
        "git_tags_url": f"{r}/git/tags{{/sha}}",
        "git_refs_url": f"{r}/git/refs{{/sha}}",
        "trees_url": f"{r}/git/trees{{/sha}}",
        "statuses_url": f"{r}/statuses/{{sha}}",
        "languages_url": f"{r}/languages",
        "stargazers_url": f"{r}/stargazers",
        "contributors_url": f"{r}/contributors",
        "subscribers_url": f"{r}/subscribers",
        "subscription_url": f"{r}/subscription",
        "commits_url": f"{r}/commits{{/sha}}",
        "git_commits_url": f"{r}/git/commits{{/sha}}",
        "comments_url": f"{r}/comments{{/number}}",
        "issue_comment_url": f"{r}/issues/comments{{/number}}",
        "contents_url": f"{r}/contents/{{+path}}",
        "compare_url": f"{r}/compare/{{base}}...{{head}}",
        "merges_url": f"{r}/merges",
        "archive_url": f"{r}/{{archive_format}}{{/ref}}",
        "downloads_url": f"{r}/downloads",
        "issues_url": f"{r}/issues{{/number}}",
        "pulls_url": f"{r}/pulls{{/number}}",
        "milestones_url": f"{r}/milestones{{/number}}",
        "notifications_url": f"{r}/notifications{{?since,all,participating}}",
        "labels_url": f"{r}/labels{{/name}}",
        "releases_url": f"{r}/releases{{/id}}",
        "deployments_url": f"{r}/deployments",
    }


def repository(api: str, web: str, repo: Repository, full: bool = True) -> dict:
    """`GET /repos/{o}/{r}` (full) or an item of `/orgs/{org}/repos` (full=False, as GitHub lists them)."""
    body = minimal_repository(api, web, repo)
    host = web.split("://", 1)[-1]
    open_issues = sum(1 for i in repo.issues if i.state == "open") + sum(
        1 for p in repo.pulls if p.state == "open"
    )
    body.update(
        {
            "created_at": ts(repo.created_at),
            "updated_at": ts(repo.pushed_at),
            "pushed_at": ts(repo.pushed_at),
            "git_url": f"git://{host}/{repo.full_name}.git",
            "ssh_url": f"git@{host.split(':')[0]}:{repo.full_name}.git",
            "clone_url": f"{web}/{repo.full_name}.git",
            "svn_url": f"{web}/{repo.full_name}",
            "homepage": "",
            "size": len(repo.commits) * 3,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": "Python",
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": repo.archived,
            "disabled": False,
            "open_issues_count": open_issues,
            "license": None,
            "allow_forking": False,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": open_issues,
            "watchers": 0,
            "default_branch": repo.default_branch,
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": False,
                "triage": False,
                "pull": True,
            },
        }
    )
    if full:
        body.update(
            {
                "temp_clone_token": "",
                "custom_properties": {},
                "organization": owner(api, web, repo.owner),
                "network_count": 0,
                "subscribers_count": 0,
            }
        )
    return body


def pull_repository(api: str, web: str, repo: Repository) -> dict:
    """The repository inside a pull request's `head`/`base` (listed shape, without permissions)."""
    body = repository(api, web, repo, full=False)
    del body["permissions"]
    return body


# --- Contents and rate limit ---


def content_links(api: str, web: str, repo: Repository, path: str, sha: str) -> dict:
    r = f"{api}/repos/{repo.full_name}"
    quoted = quote(path)  # workflow files may have spaces ("terraform 2.yml")
    return {
        "url": f"{r}/contents/{quoted}?ref={repo.default_branch}",
        "html_url": f"{web}/{repo.full_name}/blob/{repo.default_branch}/{quoted}",
        "git_url": f"{r}/git/blobs/{sha}",
        "download_url": f"{web}/{repo.full_name}/raw/{repo.default_branch}/{quoted}",
    }


def content_entry(api: str, web: str, repo: Repository, path: str, text: str) -> dict:
    """A file entry of a directory listing."""
    sha = blob_sha(text)
    links = content_links(api, web, repo, path, sha)
    return {
        "type": "file",
        "size": len(text.encode()),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        **links,
        "_links": {"self": links["url"], "git": links["git_url"], "html": links["html_url"]},
    }


def dir_entry(api: str, web: str, repo: Repository, path: str) -> dict:
    """A sub-directory entry of a directory listing (GitHub reports size 0 and no download_url)."""
    sha = derived_sha("dir", repo.full_name, path)
    links = content_links(api, web, repo, path, sha)
    links["git_url"] = f"{api}/repos/{repo.full_name}/git/trees/{sha}"
    links["download_url"] = None
    links["html_url"] = f"{web}/{repo.full_name}/tree/{repo.default_branch}/{quote(path)}"
    return {
        "type": "dir",
        "size": 0,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        **links,
        "_links": {"self": links["url"], "git": links["git_url"], "html": links["html_url"]},
    }


def content_file(api: str, web: str, repo: Repository, path: str, text: str) -> dict:
    """`GET /contents/{path}` of a file: base64 content with a newline every 60 characters."""
    entry = content_entry(api, web, repo, path, text)
    return {
        "type": "file",
        "encoding": "base64",
        "size": entry["size"],
        "name": entry["name"],
        "path": path,
        "content": base64_lines(text),
        "sha": entry["sha"],
        "url": entry["url"],
        "git_url": entry["git_url"],
        "html_url": entry["html_url"],
        "download_url": entry["download_url"],
        "_links": entry["_links"],
    }


def rate_limit(limit: int, used: int, reset: int) -> dict:
    """`GET /rate_limit`: `core` follows the simulated budget; the other buckets stay full."""
    core = {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}
    others = {
        "search": 30,
        "graphql": 5000,
        "integration_manifest": 5000,
        "source_import": 100,
        "code_scanning_upload": 1000,
        "code_scanning_autofix": 10,
        "actions_runner_registration": 10000,
        "scim": 15000,
        "dependency_snapshots": 100,
        "audit_log": 1750,
        "audit_log_streaming": 15,
        "code_search": 10,
    }
    resources = {"core": core}
    for name, size in others.items():
        resources[name] = {"limit": size, "used": 0, "remaining": size, "reset": reset}
    return {"resources": resources, "rate": dict(core)}


def organisation(api: str, web: str, org: Organisation) -> dict:
    """`GET /orgs/{org}` (PyGithub's get_organization fetches it before listing repos)."""
    o = f"{api}/orgs/{org.login}"
    org_number = org_id(org.login)
    return {
        "login": org.login,
        "id": org_number,
        "node_id": node_id("O", org_number),
        "url": o,
        "repos_url": f"{o}/repos",
        "events_url": f"{o}/events",
        "hooks_url": f"{o}/hooks",
        "issues_url": f"{o}/issues",
        "members_url": f"{o}/members{{/member}}",
        "public_members_url": f"{o}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{org_number}?v=4",
        "description": f"The {org.login} organisation (simulated)",
        "name": org.login,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "is_verified": False,
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": sum(1 for r in org.repos.values() if not r.private),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "html_url": f"{web}/{org.login}",
        "created_at": ts(min((r.created_at for r in org.repos.values()), default=org.end)),
        "updated_at": ts(org.end),
        "type": "Organization",
    }
