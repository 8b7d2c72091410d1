"""PyGithub over the generator's tiny organisation: every endpoint agrees with the records behind it.

The fixture-based tests pin exact answers; these check the same endpoints against generated data
(the shape the demo and the ingest see): complete pagination, newest-first order, filter counts.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from github import Auth, Github

from simulator.generator import generate_organisation
from simulator.server import SimulatorServer


@pytest.fixture(scope="module")
def tiny():
    org = generate_organisation(seed=7, days=30, end=date(2026, 11, 20), scale="tiny")
    with SimulatorServer(org) as server:
        gh = Github(
            auth=Auth.Token("x"), base_url=server.base_url, per_page=7, seconds_between_requests=0
        )
        yield org, server, gh


def test_org_repos_and_repositories(tiny):
    org, _, gh = tiny
    assert sorted(r.full_name for r in gh.get_organization(org.login).get_repos()) == sorted(
        org.repos
    )
    for name, record in org.repos.items():
        assert gh.get_repo(name).default_branch == record.default_branch


def test_runs_jobs_attempts(tiny):
    org, _, gh = tiny
    record = org.repos["acme/platform"]
    repo = gh.get_repo("acme/platform")
    runs = list(repo.get_workflow_runs())
    assert sorted(r.id for r in runs) == sorted(r.id for r in record.runs)
    assert [r.created_at for r in runs] == sorted((r.created_at for r in runs), reverse=True)
    for event, count in Counter(r.event for r in record.runs).items():
        assert repo.get_workflow_runs(event=event).totalCount == count
    day = record.runs[len(record.runs) // 2].created_at.date()
    expected = sum(r.created_at.date() == day for r in record.runs)
    assert repo.get_workflow_runs(created=day.isoformat()).totalCount == expected
    by_id = {r.id: r for r in record.runs}
    for wf in repo.get_workflows():
        assert wf.get_runs().totalCount == sum(r.workflow_id == wf.id for r in record.runs)
    rerun = next(r for r in runs if r.run_attempt > 1)
    assert rerun.get_attempt(1).run_attempt == 1
    assert len(list(rerun.jobs(_filter="all"))) == len(by_id[rerun.id].jobs)
    latest = [j for j in by_id[rerun.id].jobs if j.run_attempt == rerun.run_attempt]
    assert sorted(j.id for j in rerun.jobs()) == sorted(j.id for j in latest)


def test_deployments_statuses_environments(tiny):
    org, _, gh = tiny
    for name, record in org.repos.items():
        repo = gh.get_repo(name)
        deployments = list(repo.get_deployments())
        assert sorted(d.id for d in deployments) == sorted(d.id for d in record.deployments)
        assert [d.created_at for d in deployments] == sorted(
            (d.created_at for d in deployments), reverse=True
        )
        for env, count in Counter(d.environment for d in record.deployments).items():
            assert repo.get_deployments(environment=env).totalCount == count
        by_id = {d.id: d for d in record.deployments}
        for d in deployments[:5]:
            states = [s.state for s in d.get_statuses()]
            assert states == [s.state for s in reversed(by_id[d.id].statuses)]
            if states:
                assert d.updated_at == by_id[d.id].updated_at
        assert repo.get_environments().totalCount == len(record.environments)


def test_commits_compare_pulls_issues_contents(tiny):
    org, _, gh = tiny
    record = org.repos["acme/platform"]
    repo = gh.get_repo("acme/platform")
    commits = list(repo.get_commits())
    position = {c.sha: i for i, c in enumerate(commits)}
    for c in commits:  # never a parent before its child
        for parent in record.commits[c.sha].parents:
            assert position.get(parent, len(commits)) > position[c.sha]
    oldest, newest = commits[-1].sha, commits[0].sha
    comparison = repo.compare(oldest, newest)
    assert comparison.status == "ahead" and comparison.ahead_by == len(commits) - 1
    assert [c.sha for c in comparison.commits][-1] == newest
    pulls = list(repo.get_pulls(state="all"))
    assert sorted(p.number for p in pulls) == sorted(p.number for p in record.pulls)
    merged = next(p for p in record.pulls if p.merge_commit_sha in record.commits)
    assert merged.number in [p.number for p in repo.get_commit(merged.merge_commit_sha).get_pulls()]
    assert len(list(repo.get_pull(merged.number).get_commits())) == len(merged.commits)
    items = list(repo.get_issues(state="all"))
    assert len(items) == len(record.issues) + len(record.pulls)
    incidents = [i for i in record.issues if "incident" in i.labels]
    assert repo.get_issues(labels=["incident"], state="all").totalCount == len(incidents)
    listing = repo.get_contents(".github/workflows")
    assert sorted(c.path for c in listing) == sorted(record.workflow_files)
    for entry in listing[:3]:
        assert entry.decoded_content.decode() == record.workflow_files[entry.path]


def test_same_seed_serves_identical_bytes_and_another_seed_differs():
    import urllib.request

    paths = [
        "/repos/acme/platform/actions/runs?per_page=100",
        "/repos/acme/platform/deployments?per_page=100",
        "/repos/acme/platform/commits",
        "/repos/acme/web/issues?state=all",
        "/_simulator/truth",
    ]

    def serve(seed: int, port: int = 0) -> tuple[int, list[bytes]]:
        org = generate_organisation(seed=seed, days=30, end=date(2026, 11, 20), scale="tiny")
        with SimulatorServer(org, port=port) as server:
            bodies = [urllib.request.urlopen(server.base_url + p).read() for p in paths]
            return int(server.base_url.rsplit(":", 1)[1]), bodies

    port, first = serve(7)
    assert serve(7, port)[1] == first
    assert serve(8, port)[1] != first
