"""Routes over git data and collaboration: commits, a commit, compare, pull requests, issues.

A mixin of `simulator.server.routes.GitHubApi` (which supplies `pull_repo`); handlers return whole
responses and render only the page asked for.
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.records import PullRequest, Repository
from simulator.server import git_payloads as git
from simulator.server.repo_index import RepoIndex, parse_time
from simulator.server.responses import (
    DOCS,
    Request,
    Response,
    bare_list,
    link_header,
    not_found,
    page_of,
)


class GitRoutes:
    def pull_repo(self, req: Request, repo: Repository) -> str:  # supplied by GitHubApi
        raise NotImplementedError

    # --- commits ---

    def commits(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        params = req.params
        head = idx.resolve(params.get("sha") or idx.repo.default_branch)
        if head is None:
            return not_found()
        since = parse_time(params["since"]) if params.get("since") else None
        until = parse_time(params["until"]) if params.get("until") else None
        author = params.get("author")
        order: Iterable[str] = idx.commit_order(head)
        if since or until or author:
            commits = idx.repo.commits
            order = [
                sha
                for sha in order
                if (since is None or commits[sha].committer_date >= since)
                and (until is None or commits[sha].committer_date <= until)
                and (
                    author is None
                    or author in (commits[sha].author.login, commits[sha].author.email)
                )
            ]
        draw = lambda sha: git.commit(req.api, req.web, idx.repo, idx.repo.commits[sha])  # noqa: E731
        return bare_list(req, link_base, list(order), draw)

    def commit(self, req: Request, idx: RepoIndex, link_base: str, ref: str) -> Response:
        sha = idx.resolve(ref)
        if sha is None:
            return Response(
                422, {"message": f"No commit found for SHA: {ref}", "documentation_url": DOCS}
            )
        body = git.commit(req.api, req.web, idx.repo, idx.repo.commits[sha], detail=True)
        page = page_of(req, default=300, maximum=300)
        files = body["files"][:3000]  # GitHub lists at most 3,000 files of a commit
        body["files"] = files[page.start : page.end]
        return Response(200, body, link_header(req, link_base, page, len(files)))

    def commit_pulls(self, req: Request, idx: RepoIndex, link_base: str, ref: str) -> Response:
        sha = idx.resolve(ref)
        if sha is None:
            return Response(
                422, {"message": f"No commit found for SHA: {ref}", "documentation_url": DOCS}
            )
        mini = self.pull_repo(req, idx.repo)
        draw = lambda pr: git.pull_request(req.api, req.web, idx.repo, pr, mini)  # noqa: E731
        return bare_list(req, link_base, idx.pulls_for_commit(sha), draw)

    def compare(self, req: Request, idx: RepoIndex, link_base: str, basehead: str) -> Response:
        if "..." not in basehead:
            return not_found()
        base_ref, head_ref = basehead.split("...", 1)
        base, head = idx.resolve(base_ref), idx.resolve(head_ref)
        if base is None or head is None:
            return not_found()
        ahead, behind, merge_base = idx.compare(base, head)
        # Compare pages 250 commits by default (up to 1,000), unlike other lists.
        page = page_of(req, default=250, maximum=1000)
        repo, commits = idx.repo, idx.repo.commits
        status = "identical"
        if ahead and behind:
            status = "diverged"
        elif ahead:
            status = "ahead"
        elif behind:
            status = "behind"
        r = f"{req.api}/repos/{repo.full_name}"
        html = f"{req.web}/{repo.full_name}/compare/{basehead}"
        draw = lambda sha: git.commit(req.api, req.web, repo, commits[sha])  # noqa: E731
        chunk = [draw(sha) for sha in ahead[page.start : page.end]]
        files: list[dict] = []
        if page.page == 1:
            for sha in ahead[:300]:
                files.extend(git.changed_files(req.api, req.web, repo, commits[sha]))
        body = {
            "url": f"{r}/compare/{basehead}",
            "html_url": html,
            "permalink_url": f"{req.web}/{repo.full_name}/compare/{repo.owner}:{base[:7]}...{repo.owner}:{head[:7]}",
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "base_commit": draw(base),
            "merge_base_commit": draw(merge_base) if merge_base else None,
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": behind,
            "total_commits": len(ahead),
            "commits": chunk,
            "files": files[:300],
        }
        link = link_header(req, link_base, page, len(ahead), compare=True)
        return Response(200, body, link, len(chunk))

    # --- pull requests and issues ---

    def pulls(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        params = req.params
        state = params.get("state", "open")
        items = [p for p in idx.repo.pulls if state == "all" or p.state == state]
        if params.get("base"):
            items = [p for p in items if p.base_ref == params["base"]]
        if params.get("head"):
            head = params["head"].split(":", 1)[-1]
            items = [p for p in items if p.head_ref == head]
        sort = params.get("sort", "created")
        if sort == "updated":
            key = lambda p: (p.updated_at, p.number)  # noqa: E731
        elif sort == "long-running":
            key = lambda p: (-p.created_at.timestamp(), p.number)  # noqa: E731
        else:
            key = lambda p: (p.created_at, p.number)  # noqa: E731
        default_direction = "desc" if sort == "created" else "asc"
        items.sort(key=key, reverse=params.get("direction", default_direction) == "desc")
        mini = self.pull_repo(req, idx.repo)
        draw = lambda pr: git.pull_request(req.api, req.web, idx.repo, pr, mini)  # noqa: E731
        return bare_list(req, link_base, items, draw)

    def _pull(self, idx: RepoIndex, number: str) -> PullRequest | None:
        return idx.pulls_by_number.get(int(number)) if number.isdigit() else None

    def pull(self, req: Request, idx: RepoIndex, link_base: str, number: str) -> Response:
        pr = self._pull(idx, number)
        if pr is None:
            return not_found()
        mini = self.pull_repo(req, idx.repo)
        return Response(200, git.pull_request(req.api, req.web, idx.repo, pr, mini))

    def pull_commits(self, req: Request, idx: RepoIndex, link_base: str, number: str) -> Response:
        pr = self._pull(idx, number)
        if pr is None:
            return not_found()
        shas = [s for s in pr.commits if s in idx.repo.commits]
        draw = lambda sha: git.commit(req.api, req.web, idx.repo, idx.repo.commits[sha])  # noqa: E731
        return bare_list(req, link_base, shas, draw, maximum=100)

    def issues(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        params = req.params
        state = params.get("state", "open")
        items: list = [
            i for i in idx.issues_by_number.values() if state == "all" or i.state == state
        ]
        if params.get("labels"):
            wanted = {name.strip() for name in params["labels"].split(",") if name.strip()}
            items = [i for i in items if wanted <= set(i.labels)]
        if params.get("since"):
            since = parse_time(params["since"])
            items = [i for i in items if i.updated_at >= since]
        sort = params.get("sort", "created")
        field_name = "updated_at" if sort == "updated" else "created_at"
        items.sort(
            key=lambda i: (getattr(i, field_name), i.number),
            reverse=params.get("direction", "desc") == "desc",
        )
        draw = lambda i: git.issue(req.api, req.web, idx.repo, i)  # noqa: E731
        return bare_list(req, link_base, items, draw)

    def issue(self, req: Request, idx: RepoIndex, link_base: str, number: str) -> Response:
        item = idx.issues_by_number.get(int(number)) if number.isdigit() else None
        if item is None:
            return not_found()
        return Response(200, git.issue(req.api, req.web, idx.repo, item))

    # --- contents ---
