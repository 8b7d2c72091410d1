"""A small hand-made organisation, built from records directly (no generator involved).

Small enough to reason about in assertions (every count below is fixed here), but with what
the endpoints need: a merge commit, a side branch, a re-run, deployments with statuses,
protection rules, a pull request per merge style, incident issues and HTML in titles.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

from simulator.records import (
    Commit,
    Deployment,
    DeploymentStatus,
    Environment,
    Issue,
    Job,
    Organisation,
    Person,
    PullRequest,
    Repository,
    Workflow,
    WorkflowRun,
)

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ALICE = Person("alice", "Alice Liddell", "alice@acme.test", 501)
BOB = Person("bob", "Bob Ross", "bob@acme.test", 502)
BOT = Person("github-actions[bot]", "github-actions[bot]", "actions@github.com", 41898282)
CEST = timezone(timedelta(hours=2))

CI_YAML = """name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
DEPLOY_YAML = """name: Deploy
on: workflow_dispatch
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: ./deploy.sh
"""

# Fixed counts the tests assert on.
PLATFORM_RUNS = 40
WEB_RUNS = 1100  # more than GitHub's 1,000-result cap on filtered run listings


def sha_of(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def build_commits(repo_name: str) -> tuple[dict[str, Commit], dict[str, str]]:
    """main: c0..c9 linear, a `feature` branch of two commits off c5 merged at c8 (merge commit)."""
    commits: dict[str, Commit] = {}
    shas = [sha_of(repo_name, "main", i) for i in range(10)]
    feature = [sha_of(repo_name, "feature", i) for i in range(2)]
    for i, sha in enumerate(shas):
        parents: tuple[str, ...] = (shas[i - 1],) if i else ()
        if i == 8:
            parents = (shas[7], feature[1])
        author = ALICE if i % 2 else BOB
        when = START + timedelta(hours=6 * i)
        message = f"Change {i} of {repo_name}"
        if i == 3:
            message = "Render <script>alert('x')</script> safely"
        if i == 8:
            message = "Merge pull request #2 from acme/feature"
        commits[sha] = Commit(sha, parents, author, when.astimezone(CEST), author, when, message)
    for i, sha in enumerate(feature):
        parent = shas[5] if i == 0 else feature[0]
        when = START + timedelta(hours=6 * 5 + 2 + i)
        commits[sha] = Commit(sha, (parent,), ALICE, when, ALICE, when, f"Feature work {i}")
    branches = {"main": shas[-1], "feature": feature[1], "stale": shas[4]}
    return commits, branches


def build_runs(
    repo_id: int, ci: Workflow, deploy: Workflow, commits: list[str], count: int
) -> list[WorkflowRun]:
    runs: list[WorkflowRun] = []
    for n in range(count):
        wf = deploy if n % 5 == 4 else ci
        created = START + timedelta(hours=3 * n, minutes=n % 7)
        event = "workflow_dispatch" if wf is deploy else ("pull_request" if n % 3 == 0 else "push")
        conclusion = "failure" if n % 4 == 1 else "success"
        attempts = 2 if n == 6 else 1
        run_id = repo_id * 100_000 + n + 1
        jobs = [
            Job(
                id=run_id * 10 + a,
                run_id=run_id,
                run_attempt=a,
                name="deploy" if wf is deploy else "test",
                status="completed",
                conclusion=("failure" if a < attempts else conclusion),
                created_at=created + timedelta(hours=a - 1),
                started_at=created + timedelta(hours=a - 1, seconds=5),
                completed_at=created + timedelta(hours=a - 1, minutes=4),
                environment="production" if wf is deploy else None,
            )
            for a in range(1, attempts + 1)
        ]
        runs.append(
            WorkflowRun(
                id=run_id,
                workflow_id=wf.id,
                name=wf.name,
                path=wf.path,
                event=event,
                status="completed",
                conclusion=conclusion,
                head_sha=commits[n % len(commits)],
                head_branch="feature" if event == "pull_request" else "main",
                actor=ALICE if n % 2 else BOB,
                triggering_actor=ALICE if n % 2 else BOB,
                run_number=n + 1,
                run_attempt=attempts,
                created_at=created,
                run_started_at=jobs[-1].created_at,
                updated_at=jobs[-1].completed_at,
                display_title=f"Run {n}",
                pull_request_numbers=(2,) if event == "pull_request" else (),
                referenced_workflows=(),
                jobs=jobs,
            )
        )
    return runs


def build_repo(repo_id: int, name: str, run_count: int) -> Repository:
    full = f"acme/{name}"
    commits, branches = build_commits(full)
    main = [s for s in commits if "Feature" not in commits[s].message]
    created = START - timedelta(days=30)
    ci = Workflow(repo_id * 10 + 1, "CI", ".github/workflows/ci.yml", "active", created, created)
    deploy = Workflow(
        repo_id * 10 + 2, "Deploy", ".github/workflows/deploy.yml", "active", created, created
    )
    runs = build_runs(repo_id, ci, deploy, main, run_count)
    deployments = []
    for n in range(5):
        when = START + timedelta(days=n)
        dep_id = repo_id * 1000 + n + 1
        env = "production" if n % 2 == 0 else "staging"
        final = "failure" if n == 2 else "success"
        statuses = [
            DeploymentStatus(dep_id * 10 + 1, "in_progress", "", env, when, f"https://x/{n}"),
            DeploymentStatus(
                dep_id * 10 + 2, final, "", env, when + timedelta(minutes=5), f"https://x/{n}"
            ),
        ]
        deployments.append(
            Deployment(
                id=dep_id,
                sha=main[n],
                ref="main",
                task="deploy",
                environment=env,
                original_environment=env,
                description=None,
                creator=BOT,
                created_at=when,
                transient_environment=False,
                production_environment=env == "production",
                run_id=runs[4].id,
                statuses=statuses,
            )
        )
    environments = [
        Environment(
            repo_id * 10 + 1,
            "production",
            created,
            created,
            [
                {"type": "required_reviewers", "reviewers": ["alice"]},
                {"type": "wait_timer", "wait_timer": 5},
                {"type": "branch_policy"},
            ],
        ),
        Environment(repo_id * 10 + 2, "staging", created, created, []),
    ]
    feature_shas = [s for s in commits if "Feature" in commits[s].message]
    merge_sha = main[8]
    pulls = [
        PullRequest(
            1,
            repo_id * 100 + 1,
            "Squashed change",
            BOB,
            "fix-1",
            "main",
            main[2],
            "closed",
            START,
            START + timedelta(hours=2),
            START + timedelta(hours=12),
            START + timedelta(hours=12),
            main[2],
            "squash",
            (),
            (main[2],),
        ),
        PullRequest(
            2,
            repo_id * 100 + 2,
            "Feature <b>bold</b>",
            ALICE,
            "feature",
            "main",
            feature_shas[1],
            "closed",
            START + timedelta(days=1),
            START + timedelta(days=2),
            START + timedelta(days=2),
            START + timedelta(days=2),
            merge_sha,
            "merge",
            ("enhancement",),
            tuple(feature_shas),
        ),
        PullRequest(
            4,
            repo_id * 100 + 4,
            "Still open",
            ALICE,
            "wip",
            "main",
            main[9],
            "open",
            START + timedelta(days=3),
            START + timedelta(days=4),
            None,
            None,
            None,
            None,
            (),
            (main[9],),
        ),
    ]
    issues = [
        Issue(
            3,
            repo_id * 100 + 3,
            "Outage after deploy <script>x</script>",
            "Down.",
            BOB,
            "closed",
            ("incident",),
            START + timedelta(days=2, hours=1),
            START + timedelta(days=2, hours=5),
            START + timedelta(days=2, hours=5),
            "completed",
        ),
        Issue(
            5,
            repo_id * 100 + 5,
            "Second incident",
            "Slow.",
            ALICE,
            "open",
            ("incident", "sev2"),
            START + timedelta(days=4),
            START + timedelta(days=4, hours=1),
            None,
        ),
        Issue(
            6,
            repo_id * 100 + 6,
            "Docs typo",
            "",
            ALICE,
            "open",
            ("documentation",),
            START + timedelta(days=5),
            START + timedelta(days=5),
            None,
        ),
    ]
    return Repository(
        id=repo_id,
        owner="acme",
        name=name,
        default_branch="main",
        description=f"The {name} repository",
        created_at=created,
        pushed_at=START + timedelta(days=5),
        commits=commits,
        branches=branches,
        pulls=pulls,
        workflows=[ci, deploy],
        workflow_files={
            ci.path: CI_YAML,
            deploy.path: DEPLOY_YAML,
            ".github/workflows/terraform 2.yml": "name: Terraform\non: workflow_dispatch\n",
        },
        runs=runs,
        deployments=deployments,
        environments=environments,
        issues=issues,
    )


def build_fixture_org() -> Organisation:
    repos = {
        "acme/platform": build_repo(1001, "platform", PLATFORM_RUNS),
        "acme/web": build_repo(1002, "web", WEB_RUNS),
    }
    truth = {"generated": {"seed": 0, "days": 0, "end": "2026-05-20", "scale": "fixture"}}
    return Organisation("acme", 0, 20, START + timedelta(days=20), repos, truth)
