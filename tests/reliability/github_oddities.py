"""A tiny simulated organisation with GitHub's oddities in it, and a server that shows them.

Records are mutated before they are served (no change to the simulator's generator):
- acme/web: a `qa` environment (unicode and HTML in its name) with deployments that have no
  statuses, statuses served out of order, and a deployment of a sha that no longer exists
  (force-pushed away: compare answers 404, the commit 422); older deployments use the
  environments' old names `Prod` and `STAGE`.
- acme/infra is archived; acme/empty has no commit at all (409 on `/commits`).
- unicode and HTML in commit messages, author names, pull request and issue titles, issue
  bodies, branch names, deployment and status descriptions, repository descriptions.
Between two syncs (`second_sync`): acme/web is renamed to acme/web-app (the old name answers
301 with a `Location`, as GitHub does) and acme/infra's deploy workflow file is deleted.
The server also writes every timestamp of acme/platform with a UTC offset (`+05:45`, `-07:00`):
the same instants, another notation.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote, urlencode

from simulator.generator import advance, generate_organisation
from simulator.records import Deployment, DeploymentStatus, Organisation, Repository
from simulator.server import SimulatorServer
from simulator.server.responses import DOCS, Request, Response
from simulator.server.routes import GitHubApi

FIRST_END = date(2026, 11, 17)
DAYS = 11
ADVANCE_DAYS = 3
ODD = "Ünïcødé ✓ 🚀👩‍💻 漢字 \u202eevil\u202c <script>alert(1)</script> &amp; <b>b</b> \"q\" 'a' \\ ;--"
QA = "qa Ωmega <b>&amp;</b>"
OLD_PRODUCTION = "Prod"  # what acme/web called production before the rename
OLD_NAMES = {"production": OLD_PRODUCTION, "staging": "STAGE"}
RENAMED = ("acme/web", "acme/web-app")
EMPTY = "acme/empty"
DELETED_WORKFLOW = ".github/workflows/terraform-apply.yml"
OFFSETS = ("+05:45", "-07:00", "+02:00", "+14:00", "-12:00")
DEAD_SHA = "dead" * 10
QA_IDS = {name: 970_000 + i for i, name in enumerate(("first", "no_statuses", "out_of_order",
                                                      "failed", "dead_sha", "after_dead"))}  # fmt: skip
_Z_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$")


def pristine(second: bool) -> Organisation:
    """The organisation as generated: first sync's view, or three days later (advanced)."""
    org = generate_organisation(seed=7, days=DAYS, end=FIRST_END, scale="tiny")
    if second:
        advance(org, ADVANCE_DAYS)
    return org


def odd_organisation(second: bool) -> tuple[Organisation, dict]:
    """The organisation with its oddities, and the truth of the untouched one."""
    org = pristine(second)
    truth = org.truth
    cutoff = datetime(FIRST_END.year, FIRST_END.month, FIRST_END.day, tzinfo=UTC)
    web = org.repos["acme/web"]
    _rename_old_environments(web, cutoff - timedelta(days=3))
    _add_qa_deployments(web, cutoff)
    for repo in org.repos.values():
        _unicode_everywhere(repo)
    org.repos["acme/infra"].archived = True
    empty = Repository(
        id=max(r.id for r in org.repos.values()) + 1000, owner="acme", name="empty",
        default_branch="main", description=ODD, created_at=cutoff - timedelta(days=30),
        pushed_at=cutoff - timedelta(days=30),
    )  # fmt: skip
    org.repos[EMPTY] = empty
    if second:
        infra = org.repos["acme/infra"]
        del infra.workflow_files[DELETED_WORKFLOW]
        for workflow in infra.workflows:
            if workflow.path == DELETED_WORKFLOW:
                workflow.state = "deleted"
        web.name = RENAMED[1].split("/")[1]
        org.repos = {repo.full_name: repo for repo in org.repos.values()}
    return org, truth


def main_line(repo: Repository, before: datetime) -> list[str]:
    """First-parent history of the default branch, oldest first, committed before `before`."""
    line, sha = [], repo.branches[repo.default_branch]
    while sha in repo.commits:
        line.append(sha)
        parents = repo.commits[sha].parents
        sha = parents[0] if parents else ""
    return [s for s in reversed(line) if repo.commits[s].committer_date < before]


def qa_plan(repo: Repository, cutoff: datetime) -> dict[str, tuple[str, datetime]]:
    """(sha, created_at) of each qa deployment, all after the commits they ship."""
    line = main_line(repo, cutoff - timedelta(hours=12))
    s1, s3, s6 = line[-4], line[-2], line[-1]
    t0 = repo.commits[s6].committer_date.astimezone(UTC) + timedelta(minutes=30)
    hours = lambda n: t0 + timedelta(hours=n)  # noqa: E731
    return {
        "first": (s1, hours(0)),
        "no_statuses": (s3, hours(1)),
        "out_of_order": (s3, hours(2)),
        "failed": (s6, hours(3)),
        "dead_sha": (DEAD_SHA, hours(4)),
        "after_dead": (s6, hours(5)),
    }


def _add_qa_deployments(repo: Repository, cutoff: datetime) -> None:
    status_id = iter(range(980_000, 990_000))
    minutes = lambda t, m: t + timedelta(minutes=m)  # noqa: E731
    for name, (sha, at) in qa_plan(repo, cutoff).items():
        states = {
            "no_statuses": [],
            # served newest first by the simulator: listed here so that they arrive shuffled
            "out_of_order": [("success", 9), ("queued", 1), ("failure", 4), ("in_progress", 2),
                             ("success", 12)],
            # ids run against time: the latest status by time has the smallest id
            "failed": [("failure", 20), ("in_progress", 3), ("queued", 1)],
        }.get(name, [("in_progress", 1), ("success", 5)])  # fmt: skip
        statuses = [
            DeploymentStatus(next(status_id), state, f"{state} {ODD}", QA, minutes(at, m), "")
            for state, m in states
        ]
        repo.deployments.append(
            Deployment(
                id=QA_IDS[name], sha=sha, ref="main", task="deploy", environment=QA,
                original_environment=QA, description=f"{name} {ODD}",
                creator=repo.commits[repo.branches["main"]].author, created_at=at,
                transient_environment=False, production_environment=False, run_id=None,
                statuses=statuses,
            )
        )  # fmt: skip


def _rename_old_environments(repo: Repository, before: datetime) -> None:
    for deployment in repo.deployments:
        old = OLD_NAMES.get(deployment.environment)
        if old and deployment.created_at < before:
            deployment.environment = deployment.original_environment = old
            for status in deployment.statuses:
                status.environment = old


def odd_message(message: str) -> str:
    """Oddities at the end of the subject line: `Revert "…"` and the body keep their meaning."""
    subject, sep, body = message.partition("\n")
    return f"{subject} {ODD}{sep}{body}"


def _unicode_everywhere(repo: Repository) -> None:
    repo.description = f"{repo.description} {ODD}"
    for commit in repo.commits.values():
        commit.message = odd_message(commit.message)
        commit.author = dataclasses.replace(commit.author, name=f"{commit.author.name} Ødd <i>")
    for pull in repo.pulls:
        pull.title = f"{pull.title} {ODD}"
        pull.head_ref = f"{pull.head_ref}-ünï"
    for issue in repo.issues:
        issue.title = f"{issue.title} {ODD}"
        issue.body = f"{ODD}\r\n{issue.body}"
    for deployment in repo.deployments:
        deployment.description = f"{deployment.description or ''} {ODD}".strip()
        for status in deployment.statuses:
            status.description = f"{status.description} {ODD}"


# --- The server's side of the oddities ---


def with_offset(value: str, salt: int) -> str:
    """`2026-11-03T10:00:00Z` -> the same instant written as e.g. `2026-11-03T15:45:00+05:45`."""
    match = _Z_TIME.match(value)
    if not match:
        return value
    offset = OFFSETS[salt % len(OFFSETS)]
    sign = 1 if offset[0] == "+" else -1
    hours, mins = int(offset[1:3]), int(offset[4:6])
    delta = timedelta(hours=hours, minutes=mins) * sign
    moment = datetime.fromisoformat(match.group(1)) + delta
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (match.group(2) or "") + offset


def _offsets_everywhere(body: object, salt: list[int]) -> object:
    if isinstance(body, dict):
        return {k: _offsets_everywhere(v, salt) for k, v in body.items()}
    if isinstance(body, list):
        return [_offsets_everywhere(v, salt) for v in body]
    if isinstance(body, str) and _Z_TIME.match(body):
        salt[0] += 1
        return with_offset(body, salt[0])
    return body


class OddGitHubApi(GitHubApi):
    """GitHub's answers for renamed (301) and empty (409) repositories, and offset timestamps."""

    renamed = {RENAMED[0]: RENAMED[1]}
    offset_repos = ("acme/platform",)

    def handle(self, req: Request) -> tuple[str, Response]:
        named = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", req.path)
        by_id = re.match(r"^/repositories/(\d+)(/.*)?$", req.path)
        repo = None
        if named:
            name, rest = f"{unquote(named.group(1))}/{unquote(named.group(2))}", named.group(3)
            if name in self.renamed and self.renamed[name] in self.org.repos:
                target = self.org.repos[self.renamed[name]]
                query = f"?{urlencode(req.query)}" if req.query else ""
                location = f"{req.api}/repositories/{target.id}{rest or ''}{query}"
                body = {"message": "Moved Permanently", "url": location, "documentation_url": DOCS}
                return "redirect", Response(301, body, headers={"Location": location})
            repo = self.org.repos.get(name)
        elif by_id:
            repo, rest = self.by_id.get(int(by_id.group(1))), by_id.group(2)
        if repo is not None and not repo.commits and (rest or "").rstrip("/") == "/commits":
            body = {"message": "Git Repository is empty.", "documentation_url": DOCS}
            return "empty", Response(409, body)
        route, response = super().handle(req)
        if repo is not None and repo.full_name in self.offset_repos and response.status == 200:
            response.body = _offsets_everywhere(response.body, [len(req.path)])
        return route, response


def odd_server(org: Organisation, port: int = 0) -> SimulatorServer:
    """A started simulator serving `org` with the oddities above."""
    server = SimulatorServer(org, port=port)
    server.api = OddGitHubApi(org)
    return server.start()
