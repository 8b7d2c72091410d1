"""PyGithub (real client, real HTTP, per_page=2) through every endpoint the ingest uses.

Expected numbers come from the hand-made organisation in conftest.py, so each assertion says what
GitHub would answer for that data: order, filters, pagination and the 1,000-result cap.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from fixture_org import PLATFORM_RUNS, START, WEB_RUNS, sha_of
from github import Auth, Github


@pytest.fixture
def gh(server) -> Github:
    # The 0.25 s default throttle only slows the test; it changes no behaviour under test.
    return Github(
        auth=Auth.Token("x"), base_url=server.base_url, per_page=2, seconds_between_requests=0
    )


@pytest.fixture
def repo(gh):
    return gh.get_repo("acme/platform")


def test_repository_and_org_repos(gh, repo, server):
    assert repo.full_name == "acme/platform"
    assert repo.default_branch == "main"
    assert repo.url == f"{server.base_url}/repos/acme/platform"
    assert repo.html_url == f"{server.base_url}/acme/platform"
    repos = gh.get_organization("acme").get_repos()
    assert repos.totalCount == 2
    assert sorted(r.full_name for r in repos) == ["acme/platform", "acme/web"]


def test_workflows(repo):
    workflows = repo.get_workflows()
    assert workflows.totalCount == 2
    assert [w.path for w in workflows] == [
        ".github/workflows/ci.yml",
        ".github/workflows/deploy.yml",
    ]
    assert repo.get_workflow("deploy.yml").name == "Deploy"
    deploy_runs = repo.get_workflow("deploy.yml").get_runs()
    assert deploy_runs.totalCount == PLATFORM_RUNS // 5
    assert {r.event for r in deploy_runs} == {"workflow_dispatch"}


def test_runs_are_newest_first_and_fully_paginated(repo, server):
    server.reset()
    runs = list(repo.get_workflow_runs())
    assert len(runs) == PLATFORM_RUNS
    assert [r.created_at for r in runs] == sorted((r.created_at for r in runs), reverse=True)
    assert len({r.id for r in runs}) == PLATFORM_RUNS
    stats = server.stats()["requests"]["/repos/{owner}/{repo}/actions/runs"]
    assert stats == {"200": PLATFORM_RUNS // 2}  # per_page=2, following Link to the last page


def test_run_filters(repo):
    all_runs = list(repo.get_workflow_runs())
    pushes = list(repo.get_workflow_runs(event="push"))
    assert pushes and all(r.event == "push" for r in pushes)
    assert len(pushes) == sum(r.event == "push" for r in all_runs)
    failures = repo.get_workflow_runs(status="failure")
    assert failures.totalCount == sum(r.conclusion == "failure" for r in all_runs)
    assert repo.get_workflow_runs(status="completed").totalCount == PLATFORM_RUNS
    assert {r.head_branch for r in repo.get_workflow_runs(branch="feature")} == {"feature"}
    sha = all_runs[0].head_sha
    assert {r.head_sha for r in repo.get_workflow_runs(head_sha=sha)} == {sha}
    assert {r.actor.login for r in repo.get_workflow_runs(actor="alice")} == {"alice"}
    # Runs start 2026-05-01 09:00 and come every 3 hours: 8 on May 2nd, 5 on May 1st.
    assert repo.get_workflow_runs(created="2026-05-02").totalCount == 8
    assert repo.get_workflow_runs(created="<2026-05-02").totalCount == 5
    assert repo.get_workflow_runs(created="2026-05-01..2026-05-02").totalCount == 13
    assert (
        repo.get_workflow_runs(created=">=2026-05-05T00:00:00Z").totalCount
        == PLATFORM_RUNS - 13 - 16
    )
    window = list(repo.get_workflow_runs(created="2026-05-02T00:00:00Z..2026-05-02T06:00:00Z"))
    assert [r.created_at.hour for r in window] == [6, 3, 0]


def test_filtered_runs_stop_at_1000_results(server):
    gh = Github(
        auth=Auth.Token("x"), base_url=server.base_url, per_page=100, seconds_between_requests=0
    )
    web = gh.get_repo("acme/web")
    filtered = web.get_workflow_runs(status="completed")
    # PyGithub's totalCount reads rel="last" of a per_page=1 request: the reachable 1,000.
    assert filtered.totalCount == 1000
    assert len(list(filtered)) == 1000
    status, headers, body = gh.requester.requestJson(
        "GET", "/repos/acme/web/actions/runs", {"status": "completed", "per_page": 100, "page": 11}
    )
    # total_count still tells the real number; pages past the cap are empty.
    assert status == 200 and '"workflow_runs":[]' in body and f'"total_count":{WEB_RUNS}' in body
    # Unfiltered listings are not capped.
    assert len(list(web.get_workflow_runs())) == WEB_RUNS


def test_run_attempts_and_jobs(repo):
    rerun = next(r for r in repo.get_workflow_runs() if r.run_attempt == 2)
    assert rerun.previous_attempt_url.endswith("/attempts/1")
    first = rerun.get_attempt(1)
    assert first.run_attempt == 1 and first.conclusion == "failure"
    assert first.jobs_url.endswith("/attempts/1/jobs")
    assert [j.run_attempt for j in rerun.jobs()] == [2]
    assert sorted(j.run_attempt for j in rerun.jobs(_filter="all")) == [1, 2]
    job = rerun.jobs()[0]
    assert job.run_id == rerun.id and job.steps[0].name == "Set up job"
    assert repo.get_workflow_run(rerun.id).run_attempt == 2


def test_deployments_statuses_environments(repo):
    deployments = list(repo.get_deployments())
    assert len(deployments) == 5
    assert [d.created_at for d in deployments] == sorted(
        (d.created_at for d in deployments), reverse=True
    )
    staging = list(repo.get_deployments(environment="staging"))
    assert len(staging) == 2 and {d.environment for d in staging} == {"staging"}
    assert repo.get_deployments(sha=deployments[0].sha).totalCount == 1
    assert repo.get_deployments(ref="main", task="deploy").totalCount == 5
    assert repo.get_deployments(task="nope").totalCount == 0
    failed = next(d for d in deployments if d.id == 1001003)
    statuses = list(failed.get_statuses())
    assert [s.state for s in statuses] == ["failure", "in_progress"]  # newest first
    assert failed.updated_at == statuses[0].created_at
    envs = repo.get_environments()
    assert envs.totalCount == 2
    production = next(e for e in envs if e.name == "production")
    kinds = [rule.type for rule in production.protection_rules]
    assert kinds == ["required_reviewers", "wait_timer", "branch_policy"]


def test_commits_compare_and_commit_pulls(repo):
    main = list(repo.get_commits())
    assert len(main) == 12  # ten on main plus the two merged feature commits
    assert main[0].sha == sha_of("acme/platform", "main", 9)
    dates = [c.commit.committer.date for c in main]
    assert dates == sorted(dates, reverse=True)
    # Commit dates are served in UTC even when the author's clock had an offset.
    assert main[0].commit.author.date.tzinfo is not None
    assert len(list(repo.get_commits(sha="feature"))) == 8
    since = START.replace(hour=21)  # c2 is at 21:00
    until = START.replace(day=2, hour=15)  # c5 at 15:00 next day
    window = list(repo.get_commits(since=since, until=until))
    assert [c.commit.message for c in window][-1] == "Change 2 of acme/platform"
    assert len(window) == 4
    single = repo.get_commit(main[0].sha)
    assert single.stats.total > 0 and len(list(single.files)) == 1
    comparison = repo.compare("stale", "feature")
    assert comparison.status == "ahead" and comparison.ahead_by == 3 and comparison.behind_by == 0
    assert [c.commit.message for c in comparison.commits] == [
        "Change 5 of acme/platform",
        "Feature work 0",
        "Feature work 1",
    ]  # oldest first
    diverged = repo.compare("feature", "main")
    assert diverged.status == "ahead" and diverged.ahead_by == 4
    behind = repo.compare("main", "stale")
    assert behind.status == "behind" and behind.behind_by == 7
    assert behind.merge_base_commit.sha == sha_of("acme/platform", "main", 4)
    merge = repo.get_commit(sha_of("acme/platform", "main", 8))
    assert [p.number for p in merge.get_pulls()] == [2]


def test_pulls_and_pull_commits(repo):
    assert [p.number for p in repo.get_pulls()] == [4]  # open by default
    assert [p.number for p in repo.get_pulls(state="all")] == [4, 2, 1]  # created, desc
    by_update = repo.get_pulls(state="all", sort="updated", direction="asc")
    assert [p.number for p in by_update] == [1, 2, 4]
    assert [p.number for p in repo.get_pulls(state="closed", base="main", head="acme:feature")] == [
        2
    ]
    feature_pr = repo.get_pull(2)
    assert feature_pr.merged_at is not None
    assert [c.commit.message for c in feature_pr.get_commits()] == [
        "Feature work 0",
        "Feature work 1",
    ]


def test_issues_include_pull_requests(repo):
    open_items = list(repo.get_issues())
    assert sorted(i.number for i in open_items) == [4, 5, 6]
    assert [i.number for i in open_items if i.pull_request is not None] == [4]
    incidents = list(repo.get_issues(labels=["incident"], state="all"))
    assert [i.number for i in incidents] == [5, 3]
    assert "<script>" in incidents[1].title
    assert [i.number for i in repo.get_issues(labels=["incident", "sev2"], state="all")] == [5]
    recent = repo.get_issues(state="all", since=datetime(2026, 5, 4, tzinfo=UTC), sort="updated")
    assert sorted(i.number for i in recent) == [4, 5, 6]


def test_contents_of_workflows(repo):
    listing = repo.get_contents(".github/workflows")
    assert [c.name for c in listing] == ["ci.yml", "deploy.yml", "terraform 2.yml"]
    # A name with a space (real estates have them) round-trips through the URL.
    assert listing[2].decoded_content.decode().startswith("name: Terraform")
    assert repo.get_contents(".github/workflows/terraform 2.yml").sha == listing[2].sha
    assert [c.type for c in repo.get_contents(".github")] == ["dir"]
    ci = repo.get_contents(".github/workflows/ci.yml")
    assert ci.decoded_content.decode().startswith("name: CI\n")
    assert ci.sha == listing[0].sha  # the blob sha, stable for the same text
    lines = ci.content.split("\n")
    assert all(len(line) == 60 for line in lines[:-2]) and lines[-1] == ""
    assert base64.b64decode(ci.content) == ci.decoded_content


def test_rate_limit_endpoint_is_free(gh, server):
    server.reset()
    gh.get_repo("acme/platform").get_workflows()[0]
    before = server.stats()["charged_requests"]
    overview = gh.get_rate_limit()
    assert overview.resources.core.limit == 5000
    assert overview.resources.core.used == before
    assert server.stats()["charged_requests"] == before
