"""Code changes: pull requests, their commits, merges into main, and the CI that runs on every push."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from simulator.generator import delivery
from simulator.generator.people import Engineer
from simulator.generator.sim import PullState, RepoSim, merge_committer, seconds
from simulator.generator.touched_files import service_files, union
from simulator.records import PullRequest

SCRIPT_TITLE = "Escape <script>alert(1)</script> in search result snippets"

_VERBS = ("Add", "Fix", "Refactor", "Speed up", "Document", "Harden", "Simplify", "Remove")
_THINGS = (
    "retry logic",
    "pagination",
    "rate limiting",
    "request validation",
    "cache invalidation",
    "error messages",
    "connection pooling",
    "feature flag",
    "metrics export",
    "config loading",
    "timeouts",
    "schema migration",
)
_FOLLOW_UPS = ("Address review comments", "Fix tests", "Tidy up", "Handle empty input", "Rename")
_UNRELATED = (
    "Docs: clarify local setup",
    "Question: how do I run the e2e suite locally?",
    "Flaky test in search indexer",
    "Upgrade to Python 3.13",
    "Dashboard shows wrong timezone",
)


def poisson(sim: RepoSim, lam: float) -> int:
    """Knuth's method: small rates only, which is all we use."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= sim.rng.random()
        if p <= limit:
            return k
        k += 1


# --- daily rhythm ---
def on_day(sim: RepoSim, day: datetime) -> None:
    """Plan one UTC day: pull requests people open, then the repo kind's own routine."""
    sim.schedule(day + timedelta(days=1), "day")
    rng = sim.rng
    for _ in range(poisson(sim, sim.rates["prs"])):
        engineer = sim.engineer()
        start = engineer.local_day_start(day) + sim.minutes(0, 7 * 60)
        if engineer.is_working(start) or rng.random() < 0.03:
            sim.schedule(start, "pr_open", engineer, False, None)
    if rng.random() < sim.rates["issues"]:
        engineer = sim.engineer()
        sim.schedule(engineer.next_working(day, rng), "unrelated_issue", engineer)
    delivery.daily(sim, day)


def on_unrelated_issue(sim: RepoSim, t: datetime, engineer: Engineer) -> None:
    if sim.kind == "platform" and "script_issue" not in sim.flags:
        sim.flags.add("script_issue")
        title = "Search page renders <script>alert(1)</script> from query string"
        labels: tuple[str, ...] = ("bug", "security")
    else:
        title, labels = sim.rng.choice(_UNRELATED), ("question",)
    issue = sim.open_issue(title, "Steps to reproduce are below.", engineer, t, labels)
    if sim.rng.random() < 0.6:
        issue.state, issue.state_reason = "closed", "completed"
        issue.closed_at = issue.updated_at = t + sim.minutes(20, 170)


# --- pull requests ---
def on_pr_open(
    sim: RepoSim, t: datetime, engineer: Engineer, hotfix: bool | str, reverts: str | None
) -> None:
    """`hotfix` is False, True, or the service the hotfix is for."""
    rng = sim.rng
    width = 2 if rng.random() < 0.15 and len(sim.services) > 1 else 1
    services = tuple(sorted(rng.sample(sim.services, width)))
    if isinstance(hotfix, str):
        services = (hotfix,)
    if reverts is not None:
        headline = sim.repo.commits[reverts].message.splitlines()[0]
        title = f'Revert "{headline}"'
        message = f"{title}\n\nThis reverts commit {reverts}."
        branch = f"revert-{sim.next_number}-{reverts[:7]}"
        services = sim.touched.get(reverts, services)
    elif sim.kind == "platform" and "script_commit" not in sim.flags and rng.random() < 0.05:
        sim.flags.add("script_commit")
        title = message = SCRIPT_TITLE
        branch, services = f"{engineer.person.login}/escape-snippets", ("search",)
    else:
        prefix = "Hotfix:" if hotfix else rng.choice(_VERBS)
        title = f"{prefix} {rng.choice(_THINGS)} in {services[0]}"
        message = title
        slug = title.lower().replace(":", "").replace(" ", "-")[:40]
        branch = f"hotfix/{slug}" if hotfix else f"{engineer.person.login}/{slug}"
    files = sim.repo.commits[reverts].files if reverts is not None else None
    sha = sim.commit((sim.main,), engineer, t, message, files=files, services=services)
    number = sim.next_number
    sim.next_number += 1
    opened = t + sim.minutes(1, 25)
    labels = ("hotfix",) if hotfix and rng.random() < 0.5 else ()
    pr = PullRequest(
        number=number,
        id=sim.world.ids.next("pull"),
        title=title,
        user=engineer.person,
        head_ref=branch,
        base_ref=sim.repo.default_branch,
        head_sha=sha,
        state="open",
        created_at=opened,
        updated_at=opened,
        closed_at=None,
        merged_at=None,
        merge_commit_sha=None,
        merge_method=None,
        labels=labels,
        commits=(sha,),
    )
    sim.repo.pulls.append(pr)
    sim.pr_by_number[number] = pr
    sim.repo.branches[branch] = sha
    single = hotfix or reverts is not None
    commits = 1 if single else 1 + min(3, poisson(sim, 0.9))
    state = PullState(number, engineer, services, commits - 1, bool(hotfix), reverts)
    sim.pulls[number] = state
    push_runs(sim, t, sha, branch, engineer, None)
    push_runs(sim, opened, sha, branch, engineer, pr)
    _next_step(sim, state, opened)


def _next_step(sim: RepoSim, state: PullState, t: datetime) -> None:
    engineer = state.engineer
    if state.commits_left > 0:
        later = engineer.next_working(t + sim.minutes(20, 300), sim.rng)
        sim.schedule(later, "pr_push", state.number)
    elif state.hotfix or state.reverts is not None:
        sim.schedule(t + sim.minutes(15, 60), "pr_merge", state.number)
    else:
        reviewer = sim.engineer()
        sim.schedule(
            reviewer.next_working(t + sim.minutes(30, 1800), sim.rng), "pr_merge", state.number
        )


def on_pr_push(sim: RepoSim, t: datetime, number: int) -> None:
    state, pr = sim.pulls[number], sim.pr_by_number[number]
    message = sim.rng.choice(_FOLLOW_UPS)
    sha = sim.commit((pr.head_sha,), state.engineer, t, message)
    sim.repo.commits[sha].files = service_files(sha, sim.kind, state.services, follow_up=True)
    pr.head_sha, pr.commits, pr.updated_at = sha, (*pr.commits, sha), t
    sim.repo.branches[pr.head_ref] = sha
    state.commits_left -= 1
    push_runs(sim, t, sha, pr.head_ref, state.engineer, None)
    push_runs(sim, t, sha, pr.head_ref, state.engineer, pr)
    _next_step(sim, state, t)


def on_pr_merge(sim: RepoSim, t: datetime, number: int) -> None:
    """Merge (mostly squash, some merge commits, single-commit rebases) or close unmerged."""
    rng = sim.rng
    state, pr = sim.pulls.pop(number), sim.pr_by_number[number]
    sim.repo.branches.pop(pr.head_ref, None)
    pr.state, pr.closed_at, pr.updated_at = "closed", t, t
    delivery.on_pull_closed(sim, t, pr)
    if not state.hotfix and state.reverts is None and rng.random() < 0.04:
        return
    roll = rng.random()
    method = "squash" if roll < 0.75 else "merge" if roll < 0.9 else "rebase"
    if method == "rebase" and len(pr.commits) > 1:
        method = "squash"
    commits = sim.repo.commits
    first = commits[pr.commits[0]]
    files = union(*(commits[c].files for c in pr.commits))  # a squash or merge touches them all
    if method == "squash":
        body = "\n".join(f"* {commits[c].message.splitlines()[0]}" for c in pr.commits)
        tail = commits[pr.commits[0]].message.partition("\n\n")[2] if state.reverts else body
        message = f"{pr.title} (#{number})\n\n{tail}"
        sha = sim.commit((sim.main,), state.engineer, t, message, merge_committer(), t, files)
    elif method == "merge":
        message = f"Merge pull request #{number} from acme/{pr.head_ref}\n\n{pr.title}"
        sha = sim.commit(
            (sim.main, pr.head_sha), state.engineer, t, message, merge_committer(), t, files
        )
    else:
        sha = sim.world.next_sha()
        commits[sha] = type(first)(
            sha,
            (sim.main,),
            first.author,
            first.author_date,
            merge_committer(),
            t,
            first.message,
            first.files,
        )
    pr.merged_at, pr.merge_commit_sha, pr.merge_method = t, sha, method
    sim.advance_main(sha, number if method != "merge" else None, state.services)
    push_runs(sim, t, sha, sim.repo.default_branch, state.engineer, None)
    delivery.on_main_push(sim, t + timedelta(seconds=20), sha, state)


def open_revert(sim: RepoSim, t: datetime, sha: str) -> None:
    """Someone reverts a shipped commit through a one-commit pull request."""
    sim.schedule(t, "pr_open", sim.engineer(), False, sha)


# --- CI on every push ---
def push_runs(
    sim: RepoSim, t: datetime, sha: str, branch: str, engineer: Engineer, pr: PullRequest | None
) -> None:
    """The runs one push starts: tests and safety checks, and their follow-ups."""
    actor, rates = engineer.person, sim.rates
    event = "pull_request" if pr else "push"
    prs = (pr.number,) if pr else ()
    title = pr.title if pr else sim.repo.commits[sha].message.splitlines()[0]
    start = t + seconds(sim.rng.randint(3, 30))
    if sim.kind == "platform":
        ci = sim.simple_run(
            ".github/workflows/ci.yml", event, sha, branch, actor, start, title,
            ("lint", "unit-tests", "build"), rates["ci_fail"], 0.6, prs,
        )  # fmt: skip
        sim.simple_run(
            ".github/workflows/test-summary.yml", "workflow_run", sha, branch, actor,
            ci.updated_at + seconds(9), title, ("summary",),
        )  # fmt: skip
        sim.simple_run(
            ".github/workflows/safety-checks.yml", event, sha, branch, actor, start, title,
            ("secrets-scan", "dependency-audit"), 0.03, 0.5, prs,
        )  # fmt: skip
        if pr and sim.rng.random() < 0.5:
            sim.simple_run(
                ".github/workflows/claude-code-review.yml", event, sha, branch, actor, start,
                title, ("review",), 0.02, 0.0, prs,
            )  # fmt: skip
        if pr and sim.rng.random() < 0.2:
            sim.simple_run(
                ".github/workflows/e2e.yml", event, sha, branch, actor, start, title,
                ("e2e",), 0.1, 0.5, prs,
            )  # fmt: skip
        if sim.rng.random() < 0.15:
            sim.simple_run(
                ".github/workflows/frontend-ci.yml", event, sha, branch, actor, start, title,
                ("lint", "test"), 0.08, 0.3, prs,
            )  # fmt: skip
    elif sim.kind == "web":
        sim.simple_run(
            ".github/workflows/ci.yml", event, sha, branch, actor, start, title,
            ("lint", "test"), rates["ci_fail"], 0.6, prs,
        )  # fmt: skip
        if pr:
            sim.simple_run(
                ".github/workflows/lighthouse.yml", event, sha, branch, actor, start, title,
                ("audit",), 0.05, 0.0, prs,
            )  # fmt: skip
            if len(pr.commits) == 1 or sim.rng.random() < 0.3:
                delivery.preview(sim, start, sha, pr)
    elif pr:
        sim.simple_run(
            ".github/workflows/terraform-plan.yml", event, sha, branch, actor, start, title,
            ("plan",), rates["ci_fail"], 0.5, prs,
        )  # fmt: skip


HANDLERS = {
    "day": on_day,
    "pr_open": on_pr_open,
    "pr_push": on_pr_push,
    "pr_merge": on_pr_merge,
    "unrelated_issue": on_unrelated_issue,
}
