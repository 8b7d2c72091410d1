"""GitHub REST routes of the simulator: match a path, query the indexes, render only the page asked for.

HTTP mechanics (auth, rate limits, ETags, faults, stats) live in `simulator.server.http_server`;
this module is pure request -> (status, body, Link) so it can be read next to GitHub's REST
reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from simulator.records import Organisation, Repository, WorkflowRun
from simulator.server import actions_payloads as actions
from simulator.server import payloads as render
from simulator.server import teams
from simulator.server.git_routes import GitRoutes
from simulator.server.repo_index import QueryError, RepoIndex
from simulator.server.responses import (
    FRAGMENTS,
    Request,
    Response,
    bare_list,
    invalid,
    link_header,
    not_found,
    page_of,
    wrapped_list,
)

# GitHub caps filtered run listings at 1,000 results (the OpenAPI description says so).
RUN_SEARCH_CAP = 1000
RUN_SEARCH_PARAMS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")
RUN_STATUSES = {"completed", "in_progress", "queued", "requested", "waiting", "pending"}

# --- Routing ---

Handler = Callable[..., Response]


@dataclass
class Route:
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    repo_suffix: bool  # a /repos/{owner}/{repo}/... route (also served as /repositories/{id}/...)


def _compile(template: str) -> re.Pattern[str]:
    regex = re.escape(template)
    regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.*)", regex)  # {name+}: may hold slashes
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
    return re.compile(f"^{regex}/?$")


class GitHubApi(GitRoutes):
    """The REST surface over one organisation; `rebuild()` after the organisation changes."""

    def __init__(self, org: Organisation) -> None:
        self.org = org
        self.routes: list[Route] = []
        for template, handler in self._route_table():
            repo_route = template.startswith("/repos/{owner}/{repo}")
            suffix = template.removeprefix("/repos/{owner}/{repo}") if repo_route else template
            pattern = _compile(suffix) if repo_route else _compile(template)
            self.routes.append(Route(template, pattern, handler, repo_route))
        self.rebuild()

    def rebuild(self) -> None:
        self.indexes = {name: RepoIndex(repo) for name, repo in self.org.repos.items()}
        self.by_id = {repo.id: repo for repo in self.org.repos.values()}
        self.generation = getattr(self, "generation", 0) + 1

    def _route_table(self) -> list[tuple[str, Handler]]:
        r = "/repos/{owner}/{repo}"
        return [
            ("/orgs/{org}", self.organisation),
            ("/orgs/{org}/repos", self.org_repos),
            ("/orgs/{org}/teams", self.org_teams),
            ("/orgs/{org}/teams/{team_slug}/repos", self.team_repos),
            # the team's own `url` (`repositories_url`), which PyGithub follows
            ("/organizations/{org_id}/team/{team_id}/repos", self.team_repos_by_id),
            ("/organizations/{org_id}/repos", self.org_repos_by_id),
            ("/users/{username}/repos", self.user_repos),
            (r, self.repository),
            (f"{r}/actions/workflows", self.workflows),
            (f"{r}/actions/workflows/{{workflow_id}}", self.workflow),
            (f"{r}/actions/workflows/{{workflow_id}}/runs", self.workflow_runs),
            (f"{r}/actions/runs", self.runs),
            (f"{r}/actions/runs/{{run_id}}", self.run),
            (f"{r}/actions/runs/{{run_id}}/attempts/{{attempt}}", self.run_attempt),
            (f"{r}/actions/runs/{{run_id}}/jobs", self.run_jobs),
            (f"{r}/actions/runs/{{run_id}}/attempts/{{attempt}}/jobs", self.attempt_jobs),
            (f"{r}/actions/jobs/{{job_id}}", self.job),
            (f"{r}/deployments", self.deployments),
            (f"{r}/deployments/{{deployment_id}}", self.deployment),
            (f"{r}/deployments/{{deployment_id}}/statuses", self.deployment_statuses),
            (f"{r}/deployments/{{deployment_id}}/statuses/{{status_id}}", self.deployment_status),
            (f"{r}/environments", self.environments),
            (f"{r}/environments/{{name}}", self.environment),
            (f"{r}/commits", self.commits),
            (f"{r}/commits/{{ref}}/pulls", self.commit_pulls),
            (f"{r}/commits/{{ref}}", self.commit),
            (f"{r}/compare/{{basehead+}}", self.compare),
            (f"{r}/pulls", self.pulls),
            (f"{r}/pulls/{{number}}", self.pull),
            (f"{r}/pulls/{{number}}/commits", self.pull_commits),
            (f"{r}/issues", self.issues),
            (f"{r}/issues/{{number}}", self.issue),
            (f"{r}/contents", self.contents),
            (f"{r}/contents/{{path+}}", self.contents),
        ]

    def match(self, path: str) -> tuple[Route, dict[str, str], Repository | None] | None:
        """The route, its decoded path arguments and (for repo routes) the repository."""
        repo: Repository | None = None
        rest = path
        m = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", path)
        n = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        if m:
            repo = self.org.repos.get(f"{unquote(m.group(1))}/{unquote(m.group(2))}")
            rest = m.group(3) or ""
        elif n:
            repo = self.by_id.get(int(n.group(1)))
            rest = n.group(2) or ""
        for route in self.routes:
            if route.repo_suffix != bool(m or n):
                continue
            found = route.pattern.match(rest if route.repo_suffix else path)
            if found:
                args = {k: unquote(v) for k, v in found.groupdict().items()}
                return route, args, repo
        return None

    def template_for(self, path: str) -> str:
        matched = self.match(path)
        return matched[0].template if matched else "unknown"

    def handle(self, req: Request) -> tuple[str, Response]:
        """(route template for stats, response)."""
        matched = self.match(req.path)
        if matched is None:
            return "unknown", not_found()
        route, args, repo = matched
        try:
            if route.repo_suffix:
                if repo is None:
                    return route.template, not_found()
                suffix = re.sub(r"^/(repos/[^/]+/[^/]+|repositories/\d+)", "", req.path)
                link_base = f"{req.api}/repositories/{repo.id}{suffix.rstrip('/')}"
                return route.template, route.handler(
                    req, self.indexes[repo.full_name], link_base, **args
                )
            return route.template, route.handler(req, f"{req.api}{req.path}", **args)
        except QueryError as exc:
            return route.template, invalid(str(exc))

    # --- helpers ---

    def mini_repo(self, req: Request, repo: Repository) -> str:
        """The run's embedded repository, as a pre-serialised fragment (most of a run's bytes)."""
        key = ("mini", self.generation, id(self), repo.full_name, req.api, req.web)
        return FRAGMENTS.token(key, lambda: render.minimal_repository(req.api, req.web, repo))

    def pull_repo(self, req: Request, repo: Repository) -> str:
        key = ("pull", self.generation, id(self), repo.full_name, req.api, req.web)
        return FRAGMENTS.token(key, lambda: render.pull_repository(req.api, req.web, repo))

    # --- organisation and repository ---

    def organisation(self, req: Request, link_base: str, org: str) -> Response:
        if org.lower() != self.org.login.lower():
            return not_found()
        return Response(200, render.organisation(req.api, req.web, self.org))

    def org_repos(self, req: Request, link_base: str, org: str) -> Response:
        # A login that owns repositories but is not the organisation is a user: 404, as GitHub.
        if org.lower() != self.org.login.lower():
            return not_found()
        # GitHub's Link URLs name the organisation by id, as repo routes do.
        link_base = f"{req.api}/organizations/{render.org_id(self.org.login)}/repos"
        return self._owner_repos(req, org, link_base)

    def user_repos(self, req: Request, link_base: str, username: str) -> Response:
        """`/users/{username}/repos` (any owner, the organisation too, as on GitHub)."""
        known = username.lower() == self.org.login.lower() or any(
            r.owner.lower() == username.lower() for r in self.org.repos.values()
        )
        if not known:
            return not_found()
        return self._owner_repos(req, username, link_base)

    def _owner_repos(self, req: Request, owner: str, link_base: str) -> Response:
        repos = [r for r in self.org.repos.values() if r.owner.lower() == owner.lower()]
        params = req.params
        sort = params.get("sort", "created")
        keys = {
            "full_name": lambda r: r.full_name.lower(),
            "pushed": lambda r: (r.pushed_at, r.id),
            "updated": lambda r: (r.pushed_at, r.id),
        }
        key = keys.get(sort, lambda r: (r.created_at, r.id))
        default_direction = "asc" if sort == "full_name" else "desc"
        repos.sort(key=key, reverse=params.get("direction", default_direction) == "desc")
        return bare_list(
            req, link_base, repos, lambda r: render.repository(req.api, req.web, r, full=False)
        )

    def org_teams(self, req: Request, link_base: str, org: str) -> Response:
        if org.lower() != self.org.login.lower():
            return not_found()
        found = teams.org_teams(self.org)
        by_slug = {t.slug: t for t in found}
        return bare_list(req, link_base, found, lambda t: teams.team(req.api, req.web, self.org, t, by_slug))  # fmt: skip

    def team_repos(self, req: Request, link_base: str, org: str, team_slug: str) -> Response:
        if org.lower() != self.org.login.lower():
            return not_found()
        found = next((t for t in teams.org_teams(self.org) if t.slug == team_slug.lower()), None)
        return self._team_repos(req, link_base, found)

    def team_repos_by_id(self, req: Request, link_base: str, org_id: str, team_id: str) -> Response:
        if org_id != str(render.org_id(self.org.login)):
            return not_found()
        found = next((t for t in teams.org_teams(self.org) if str(t.id) == team_id), None)
        return self._team_repos(req, link_base, found)

    def _team_repos(self, req: Request, link_base: str, found: teams.Team | None) -> Response:
        if found is None:
            return not_found()
        draw = lambda r: teams.team_repository(req.api, req.web, r, found.role)  # noqa: E731
        return bare_list(req, link_base, list(found.repos), draw)

    def org_repos_by_id(self, req: Request, link_base: str, org_id: str) -> Response:
        if org_id != str(render.org_id(self.org.login)):
            return not_found()
        return self.org_repos(req, link_base, self.org.login)

    def repository(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        return Response(200, render.repository(req.api, req.web, idx.repo))

    # --- workflows and runs ---

    def _workflow(self, idx: RepoIndex, workflow_id: str):
        for wf in idx.workflows:
            if str(wf.id) == workflow_id or wf.path.rsplit("/", 1)[-1] == workflow_id:
                return wf
        return None

    def workflows(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        draw = lambda wf: actions.workflow(req.api, req.web, idx.repo, wf)  # noqa: E731
        return wrapped_list(req, link_base, "workflows", idx.workflows, draw)

    def workflow(self, req: Request, idx: RepoIndex, link_base: str, workflow_id: str) -> Response:
        wf = self._workflow(idx, workflow_id)
        if wf is None:
            return not_found()
        return Response(200, actions.workflow(req.api, req.web, idx.repo, wf))

    def workflow_runs(
        self, req: Request, idx: RepoIndex, link_base: str, workflow_id: str
    ) -> Response:
        wf = self._workflow(idx, workflow_id)
        if wf is None:
            return not_found()
        return self._run_list(req, idx, link_base, wf.id)

    def runs(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        return self._run_list(req, idx, link_base, None)

    def _run_list(
        self, req: Request, idx: RepoIndex, link_base: str, workflow_id: int | None
    ) -> Response:
        params = req.params
        page = page_of(req)
        runs, matches = idx.matching_runs(workflow_id, params.get("created"), run_filters(params))
        total = len(matches)
        searched = any(params.get(name) for name in RUN_SEARCH_PARAMS)
        # Results past the cap are unreachable, as on GitHub; total_count still tells the truth.
        reachable = min(total, RUN_SEARCH_CAP) if searched else total
        chunk = [runs[i] for i in matches[page.start : min(page.end, reachable)]]
        exclude_prs = params.get("exclude_pull_requests", "").lower() == "true"
        body = [self._draw_run(req, idx, run, exclude_prs) for run in chunk]
        link = link_header(req, link_base, page, reachable)
        return Response(200, {"total_count": total, "workflow_runs": body}, link, len(body))

    def _draw_run(
        self,
        req: Request,
        idx: RepoIndex,
        run: WorkflowRun,
        exclude_prs: bool = False,
        attempt: int | None = None,
    ) -> dict:
        pulls = (
            []
            if exclude_prs
            else [
                idx.pulls_by_number[n] for n in run.pull_request_numbers if n in idx.pulls_by_number
            ]
        )
        mini = self.mini_repo(req, idx.repo)
        return actions.workflow_run(req.api, req.web, idx.repo, run, pulls, mini, attempt)

    def run(self, req: Request, idx: RepoIndex, link_base: str, run_id: str) -> Response:
        run = idx.runs_by_id.get(int(run_id)) if run_id.isdigit() else None
        if run is None:
            return not_found()
        return Response(200, self._draw_run(req, idx, run))

    def run_attempt(
        self, req: Request, idx: RepoIndex, link_base: str, run_id: str, attempt: str
    ) -> Response:
        run = idx.runs_by_id.get(int(run_id)) if run_id.isdigit() else None
        if run is None or not attempt.isdigit() or not 1 <= int(attempt) <= run.run_attempt:
            return not_found()
        return Response(200, self._draw_run(req, idx, run, attempt=int(attempt)))

    def run_jobs(self, req: Request, idx: RepoIndex, link_base: str, run_id: str) -> Response:
        run = idx.runs_by_id.get(int(run_id)) if run_id.isdigit() else None
        if run is None:
            return not_found()
        everything = req.params.get("filter", "latest") == "all"
        jobs = [j for j in run.jobs if everything or j.run_attempt == run.run_attempt]
        draw = lambda j: actions.job(req.api, req.web, idx.repo, run, j)  # noqa: E731
        return wrapped_list(req, link_base, "jobs", jobs, draw)

    def attempt_jobs(
        self, req: Request, idx: RepoIndex, link_base: str, run_id: str, attempt: str
    ) -> Response:
        run = idx.runs_by_id.get(int(run_id)) if run_id.isdigit() else None
        if run is None or not attempt.isdigit() or not 1 <= int(attempt) <= run.run_attempt:
            return not_found()
        jobs = [j for j in run.jobs if j.run_attempt == int(attempt)]
        draw = lambda j: actions.job(req.api, req.web, idx.repo, run, j)  # noqa: E731
        return wrapped_list(req, link_base, "jobs", jobs, draw)

    def job(self, req: Request, idx: RepoIndex, link_base: str, job_id: str) -> Response:
        found = idx.job(int(job_id)) if job_id.isdigit() else None
        if found is None:
            return not_found()
        run, j = found
        return Response(200, actions.job(req.api, req.web, idx.repo, run, j))

    # --- deployments and environments ---

    def deployments(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        params = req.params
        wanted = {k: params[k] for k in ("sha", "ref", "task", "environment") if params.get(k)}
        items = idx.deployments_desc
        if wanted:
            items = [d for d in items if all(getattr(d, k) == v for k, v in wanted.items())]
        draw = lambda d: actions.deployment(req.api, req.web, idx.repo, d)  # noqa: E731
        return bare_list(req, link_base, items, draw)

    def _deployment(self, idx: RepoIndex, deployment_id: str):
        return idx.deployments_by_id.get(int(deployment_id)) if deployment_id.isdigit() else None

    def deployment(
        self, req: Request, idx: RepoIndex, link_base: str, deployment_id: str
    ) -> Response:
        d = self._deployment(idx, deployment_id)
        if d is None:
            return not_found()
        return Response(200, actions.deployment(req.api, req.web, idx.repo, d))

    def deployment_statuses(
        self, req: Request, idx: RepoIndex, link_base: str, deployment_id: str
    ) -> Response:
        d = self._deployment(idx, deployment_id)
        if d is None:
            return not_found()
        newest_first = list(reversed(d.statuses))
        draw = lambda s: actions.deployment_status(req.api, req.web, idx.repo, d, s)  # noqa: E731
        return bare_list(req, link_base, newest_first, draw)

    def deployment_status(
        self, req: Request, idx: RepoIndex, link_base: str, deployment_id: str, status_id: str
    ) -> Response:
        d = self._deployment(idx, deployment_id)
        s = next((s for s in d.statuses if str(s.id) == status_id), None) if d else None
        if s is None:
            return not_found()
        return Response(200, actions.deployment_status(req.api, req.web, idx.repo, d, s))

    def environments(self, req: Request, idx: RepoIndex, link_base: str) -> Response:
        draw = lambda e: actions.environment(req.api, req.web, idx.repo, e)  # noqa: E731
        return wrapped_list(req, link_base, "environments", idx.environments, draw)

    def environment(self, req: Request, idx: RepoIndex, link_base: str, name: str) -> Response:
        env = next((e for e in idx.environments if e.name == name), None)
        if env is None:
            return not_found()
        return Response(200, actions.environment(req.api, req.web, idx.repo, env))

    def contents(self, req: Request, idx: RepoIndex, link_base: str, path: str = "") -> Response:
        repo = idx.repo
        path = path.strip("/")
        files = repo.workflow_files
        if path in files:
            return Response(200, render.content_file(req.api, req.web, repo, path, files[path]))
        prefix = f"{path}/" if path else ""
        children: dict[str, str | None] = {}
        for file_path in files:
            if file_path.startswith(prefix):
                head, sep, _ = file_path[len(prefix) :].partition("/")
                children[prefix + head] = None if sep else file_path
        if not children:
            return not_found()
        body = [
            render.content_entry(req.api, req.web, repo, child, files[full])
            if full
            else render.dir_entry(req.api, req.web, repo, child)
            for child, full in sorted(children.items())
        ]
        return Response(200, body, items=len(body))


def run_filters(params: dict[str, str]) -> list[tuple[str, str]]:
    """(field, value) equality filters of the run list (`created` is handled by bisect)."""
    filters = [
        (name, params[name])
        for name in ("event", "branch", "head_sha", "actor")
        if params.get(name)
    ]
    if params.get("check_suite_id"):
        filters.append(("check_suite_id", params["check_suite_id"]))
    if params.get("status"):
        # `status` takes a status or a conclusion, as on GitHub.
        value = params["status"]
        filters.append(("status" if value in RUN_STATUSES else "conclusion", value))
    return filters
