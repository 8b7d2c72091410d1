"""Git and collaboration payloads: commits (listed, single, compared), pull requests, issues.

Shapes as in `simulator.server.payloads` (the module docstring there says where they come from).
"""

from __future__ import annotations

from simulator.records import RENAMED_FROM, Commit, Issue, Person, PullRequest, Repository
from simulator.server.payloads import derived_id, derived_sha, node_id, owner, person, ts

LABEL_COLOURS = ("d73a4a", "0075ca", "a2eeef", "7057ff", "008672", "e4e669", "d876e3", "fbca04")


# --- Commits ---


def commit_user(api: str, web: str, p: Person) -> str | None:
    """The GitHub account behind a commit's author/committer (null for unknown emails, as GitHub does)."""
    return person(api, web, p) if p.id > 0 else None


def commit(api: str, web: str, repo: Repository, c: Commit, detail: bool = False) -> dict:
    """A commit as listed (`/commits`, compare, pull commits) or, with `detail`, fetched alone."""
    r = f"{api}/repos/{repo.full_name}"
    body = {
        "sha": c.sha,
        "node_id": node_id("C", int(c.sha[:15], 16)),
        "commit": {
            "author": {"name": c.author.name, "email": c.author.email, "date": ts(c.author_date)},
            "committer": {
                "name": c.committer.name,
                "email": c.committer.email,
                "date": ts(c.committer_date),
            },
            "message": c.message,
            "tree": {
                "sha": derived_sha("tree", c.sha),
                "url": f"{r}/git/trees/{derived_sha('tree', c.sha)}",
            },
            "url": f"{r}/git/commits/{c.sha}",
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "url": f"{r}/commits/{c.sha}",
        "html_url": f"{web}/{repo.full_name}/commit/{c.sha}",
        "comments_url": f"{r}/commits/{c.sha}/comments",
        "author": commit_user(api, web, c.author),
        "committer": commit_user(api, web, c.committer),
        "parents": [
            {"sha": p, "url": f"{r}/commits/{p}", "html_url": f"{web}/{repo.full_name}/commit/{p}"}
            for p in c.parents
        ],
    }
    if detail:
        files = changed_files(api, web, repo, c)
        additions = sum(f["additions"] for f in files)
        deletions = sum(f["deletions"] for f in files)
        body["stats"] = {
            "total": additions + deletions,
            "additions": additions,
            "deletions": deletions,
        }
        body["files"] = files
    return body


def changed_files(api: str, web: str, repo: Repository, c: Commit) -> list[dict]:
    """The files a commit touched (`Commit.files`; one synthetic file for a record without them),
    as `GET /commits/{sha}` lists them; a moved file is `renamed` with its `previous_filename`."""
    listed = c.files or (f"src/{c.sha[:2]}/{c.sha[2:8]}.py",)
    files = []
    for i, entry in enumerate(listed):
        name, _, previous = entry.partition(RENAMED_FROM)
        additions = int(c.sha[8 + i % 8 : 10 + i % 8], 16) % 40 + 1
        deletions = int(c.sha[10 + i % 8 : 12 + i % 8], 16) % 20
        item = {
            "sha": derived_sha("blob", f"{c.sha}:{name}"),
            "filename": name,
            "status": "renamed" if previous else "modified",
            "additions": additions,
            "deletions": deletions,
            "changes": additions + deletions,
            "blob_url": f"{web}/{repo.full_name}/blob/{c.sha}/{name}",
            "raw_url": f"{web}/{repo.full_name}/raw/{c.sha}/{name}",
            "contents_url": f"{api}/repos/{repo.full_name}/contents/{name.replace('/', '%2F')}?ref={c.sha}",
            "patch": f"@@ -1,{deletions} +1,{additions} @@",
        }
        if previous:
            item["previous_filename"] = previous
        files.append(item)
    return files


# --- Pull requests and issues ---


def label(api: str, repo: Repository, name: str) -> dict:
    label_id = derived_id("label", repo.full_name, name)
    return {
        "id": label_id,
        "node_id": node_id("LA", label_id),
        "url": f"{api}/repos/{repo.full_name}/labels/{name}",
        "name": name,
        "description": None,
        "color": LABEL_COLOURS[label_id % len(LABEL_COLOURS)],
        "default": name in ("bug", "enhancement", "documentation"),
    }


def pull_request(
    api: str, web: str, repo: Repository, pr: PullRequest, repo_body: dict | str
) -> dict:
    """An item of `/pulls` (the pull-request-simple shape); `repo_body` from pull_repository()."""
    r = f"{api}/repos/{repo.full_name}"
    p = f"{r}/pulls/{pr.number}"
    html = f"{web}/{repo.full_name}/pull/{pr.number}"
    issue = f"{r}/issues/{pr.number}"
    statuses = f"{r}/statuses/{pr.head_sha}"
    author = person(api, web, pr.user)
    org = owner(api, web, repo.owner)
    base_sha = repo.branches.get(pr.base_ref, pr.head_sha)
    return {
        "url": p,
        "id": pr.id,
        "node_id": node_id("PR", pr.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{p}/commits",
        "review_comments_url": f"{p}/comments",
        "review_comment_url": f"{r}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": statuses,
        "number": pr.number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": author,
        "body": "",
        "labels": [label(api, repo, name) for name in pr.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": ts(pr.created_at),
        "updated_at": ts(pr.updated_at),
        "closed_at": ts(pr.closed_at),
        "merged_at": ts(pr.merged_at),
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": {
            "label": f"{repo.owner}:{pr.head_ref}",
            "ref": pr.head_ref,
            "sha": pr.head_sha,
            "user": org,
            "repo": repo_body,
        },
        "base": {
            "label": f"{repo.owner}:{pr.base_ref}",
            "ref": pr.base_ref,
            "sha": base_sha,
            "user": org,
            "repo": repo_body,
        },
        "_links": {
            "self": {"href": p},
            "html": {"href": html},
            "issue": {"href": issue},
            "comments": {"href": f"{issue}/comments"},
            "review_comments": {"href": f"{p}/comments"},
            "review_comment": {"href": f"{r}/pulls/comments{{/number}}"},
            "commits": {"href": f"{p}/commits"},
            "statuses": {"href": statuses},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": False,
    }


def issue_id_of_pull(pr: PullRequest) -> int:
    """A pull request's issue has its own id on GitHub; keep it stable and apart from real issue ids."""
    return 3_000_000_000 + pr.id


def issue(api: str, web: str, repo: Repository, item: Issue | PullRequest) -> dict:
    """An item of `/issues`: a real issue, or a pull request's issue view (with `pull_request`)."""
    r = f"{api}/repos/{repo.full_name}"
    i = f"{r}/issues/{item.number}"
    is_pull = isinstance(item, PullRequest)
    html = f"{web}/{repo.full_name}/{'pull' if is_pull else 'issues'}/{item.number}"
    body = {
        "url": i,
        "repository_url": r,
        "labels_url": f"{i}/labels{{/name}}",
        "comments_url": f"{i}/comments",
        "events_url": f"{i}/events",
        "html_url": html,
        "id": issue_id_of_pull(item) if is_pull else item.id,
        "node_id": node_id("PR" if is_pull else "I", item.id),
        "number": item.number,
        "title": item.title,
        "user": person(api, web, item.user),
        "labels": [label(api, repo, name) for name in item.labels],
        "state": item.state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 0,
        "created_at": ts(item.created_at),
        "updated_at": ts(item.updated_at),
        "closed_at": ts(item.closed_at),
        "author_association": "MEMBER",
        "active_lock_reason": None,
    }
    if is_pull:
        body["draft"] = False
        body["pull_request"] = {
            "url": f"{r}/pulls/{item.number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": ts(item.merged_at),
        }
    body.update(
        {
            "body": "" if is_pull else item.body,
            "closed_by": None,
            "reactions": {
                "url": f"{i}/reactions",
                "total_count": 0,
                "+1": 0,
                "-1": 0,
                "laugh": 0,
                "hooray": 0,
                "confused": 0,
                "heart": 0,
                "rocket": 0,
                "eyes": 0,
            },
            "timeline_url": f"{i}/timeline",
            "performed_via_github_app": None,
            "state_reason": None if is_pull else item.state_reason,
        }
    )
    return body
