"""The generated organisation: determinism, the workflow estate, realistic activity, `advance`."""

from __future__ import annotations

import hashlib
import json
import pickle
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from settings.config import load_settings
from simulator.generator import advance, generate_organisation
from simulator.records import Organisation

END = date(2026, 11, 20)
PLATFORM_FILES = (
    "ci.yml", "frontend-ci.yml", "ci-cd-pipeline.yml", "progressive-deployment.yml",
    "setup-infrastructure.yml", "deploy-service-accounts.yml", "rotate-service-credentials.yml",
    "terraform.yml", "postgres-ha-deployment.yml", "qdrant-deployment.yml",
    "monitoring-deployment.yml", "linkerd-deployment.yml", "deploy-cdn.yml",
    "backup-infrastructure.yml", "safety-checks.yml", "deployment-verification.yml",
    "post-deploy-validation.yml", "gitops-sync.yml", "branch-protection-setup.yml", "e2e.yml",
    "test-summary.yml", "claude-code-review.yml", "claude.yml", "terraform 2.yml",
    "master-pipeline.yml",
)  # fmt: skip


def digest(org: Organisation) -> str:
    """A hash of every record (pickled: same values and sharing, same bytes) and of the truth."""
    records = pickle.dumps([org.login, org.seed, org.days, org.end, org.repos], protocol=5)
    truth = json.dumps(org.truth, sort_keys=True).encode()
    return hashlib.sha256(records + truth).hexdigest()


@pytest.fixture(scope="module")
def demo() -> Organisation:
    return generate_organisation(seed=7, days=120, end=END, scale="demo")


def test_same_seed_and_end_give_the_same_organisation() -> None:
    first = generate_organisation(seed=5, days=40, end=END, scale="tiny")
    again = generate_organisation(seed=5, days=40, end=END, scale="tiny")
    other = generate_organisation(seed=6, days=40, end=END, scale="tiny")
    assert digest(first) == digest(again)
    assert digest(first) != digest(other)
    assert first.truth["generated"] == {"seed": 5, "days": 40, "end": "2026-11-20", "scale": "tiny"}


def test_the_period_ends_at_midnight_before_end() -> None:
    org = generate_organisation(seed=5, days=20, end=END, scale="tiny")
    end = datetime(2026, 11, 20, tzinfo=UTC)
    start = end - timedelta(days=20)
    assert org.end == end
    for repo in org.repos.values():
        for run in repo.runs:
            assert start <= run.created_at and run.updated_at <= end
        for deployment in repo.deployments:
            assert all(s.created_at <= end for s in deployment.statuses)


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        generate_organisation(scale="huge")


def test_every_workflow_file_of_the_estate_is_real_yaml(demo: Organisation) -> None:
    platform = demo.repos["acme/platform"]
    files = {
        path.removeprefix(".github/workflows/"): text
        for path, text in platform.workflow_files.items()
    }
    assert set(PLATFORM_FILES) <= set(files)
    parsed = {name: yaml.safe_load(text) for name, text in files.items()}
    for name, doc in parsed.items():
        assert doc["name"] and doc["jobs"], name
        assert True in doc, f"{name} has no `on:`"  # PyYAML reads the key `on` as True
    for name in ("ci.yml", "safety-checks.yml"):
        assert {"push", "pull_request"} <= set(parsed[name][True])
    summary = parsed["test-summary.yml"][True]["workflow_run"]
    assert summary["workflows"] == [parsed["ci.yml"]["name"]]
    manual = [n for n, d in parsed.items() if "workflow_dispatch" in d[True]]
    assert len(manual) >= 15
    pipeline = parsed["master-pipeline.yml"]["jobs"]
    called = {job["uses"] for job in pipeline.values() if "uses" in job}
    assert {"./.github/workflows/safety-checks.yml", "./.github/workflows/setup-infrastructure.yml",
            "./.github/workflows/progressive-deployment.yml"} <= called  # fmt: skip
    assert all(f.removeprefix("./.github/workflows/") in files for f in called)
    assert any(job.get("needs") for job in pipeline.values())
    environments = [
        job["environment"]
        for doc in parsed.values()
        for job in doc["jobs"].values()
        if "environment" in job
    ]
    assert any(isinstance(e, str) for e in environments)
    assert any(isinstance(e, dict) and e["name"] for e in environments)
    apply = yaml.safe_load(
        demo.repos["acme/infra"].workflow_files[".github/workflows/terraform-apply.yml"]
    )
    assert not any("environment" in job for job in apply["jobs"].values())


def test_workflow_records_runs_and_files_agree(demo: Organisation) -> None:
    for repo in demo.repos.values():
        by_id = {w.id: w for w in repo.workflows}
        assert {w.path for w in repo.workflows} == set(repo.workflow_files)
        for workflow in repo.workflows:
            assert yaml.safe_load(repo.workflow_files[workflow.path])["name"] == workflow.name
        for run in repo.runs:
            assert by_id[run.workflow_id].path == run.path
            assert run.head_sha in repo.commits


def test_the_demo_config_loads_and_names_the_demo_repos() -> None:
    settings = load_settings("simulator/demo.toml")
    assert settings.repos == ["acme/platform", "acme/web", "acme/infra"]
    assert settings.deploy_rules[0].workflow == ".github/workflows/terraform-apply.yml"
    assert set(settings.metrics.verification_workflows) == {
        "post-deploy-validation.yml", "deployment-verification.yml"}  # fmt: skip
    import re

    match = re.match(settings.environments.service_pattern, "api-production")
    assert match and match["service"] == "api" and match["environment"] == "production"
    assert not re.match(settings.environments.service_pattern, "preview-pr-12")


def test_demo_size_fits_a_quick_full_sync(demo: Organisation) -> None:
    runs = sum(len(r.runs) for r in demo.repos.values())
    deployments = len(demo.truth["deployments"])
    assert 5_000 <= runs <= 15_000
    assert 300 <= deployments <= 2_000


def test_the_master_pipeline_makes_delivery_better(demo: Organisation) -> None:
    truth = demo.truth
    adopted = truth["pipeline_adopted_at"]
    start = (demo.end - timedelta(days=demo.days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = demo.end.strftime("%Y-%m-%dT%H:%M:%SZ")

    def half(ts: str | None, after: bool) -> bool:
        return ts is not None and ((adopted <= ts) if after else (ts < adopted))

    def weeks(after: bool) -> float:
        a, b = (adopted, end) if after else (start, adopted)
        return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).days / 7

    figures = {}
    for after in (False, True):
        prod = [
            d
            for d in truth["deployments"]
            if d["repo"] == "acme/platform" and d["environment"] == "production"
        ]
        counted = [
            d
            for d in prod
            if d["outcome"] == "success" and d["is_counted"] and half(d["deployed_at"], after)
        ]
        leads = [c["lead_time_seconds"] for c in truth["changes"]
                 if c["repo"] == "acme/platform" and c["environment"] == "production" and half(c["deployed_at"], after)]  # fmt: skip
        recovery = [d["recovery_seconds"] for d in prod if d["is_change_failure"]
                    and d["recovery_seconds"] is not None and half(d["deployed_at"] or d["failed_at"], after)]  # fmt: skip
        runs = [r for r in demo.repos["acme/platform"].runs
                if half(r.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), after)]  # fmt: skip
        manual = sum(r.event == "workflow_dispatch" for r in runs) / len(runs)
        figures[after] = (
            len(counted) / weeks(after),
            statistics.median(leads),
            statistics.median(recovery),
            manual,
        )
    before, after = figures[False], figures[True]
    assert after[0] > 2 * before[0], "production deploys per week"
    assert after[1] < before[1], "median lead time"
    assert after[2] < before[2], "median recovery"
    assert after[3] < before[3] / 2, "share of runs started by hand"


def test_activity_looks_like_a_real_estate(demo: Organisation) -> None:
    platform, web, infra = (demo.repos[f"acme/{n}"] for n in ("platform", "web", "infra"))
    methods = [p.merge_method for r in demo.repos.values() for p in r.pulls if p.merge_method]
    assert methods.count("squash") > len(methods) / 2 and "merge" in methods and "rebase" in methods
    reruns = [run for run in platform.runs if run.run_attempt > 1]
    assert reruns and all(
        {j.run_attempt for j in run.jobs} == set(range(1, run.run_attempt + 1)) for run in reruns
    )
    states = {s.state for r in demo.repos.values() for d in r.deployments for s in d.statuses}
    assert {"queued", "in_progress", "success", "failure", "error", "inactive"} <= states
    only_inactive = [
        d for d in web.deployments if {s.state for s in d.statuses} == {"queued", "inactive"}
    ]
    assert only_inactive
    assert {d.environment for d in platform.deployments} >= {"api-production", "worker-staging"}
    assert any(
        d.environment.startswith("preview-pr-") and d.transient_environment for d in web.deployments
    )
    assert not infra.deployments and any(r.path.endswith("terraform-apply.yml") for r in infra.runs)
    assert any(p.head_ref.startswith("hotfix/") for p in platform.pulls)
    offsets = {c.author_date.utcoffset() for c in platform.commits.values()}
    assert len(offsets) >= 4
    assert any("<script>alert(1)</script>" in c.message for c in platform.commits.values())
    assert any("<script>" in i.title for i in platform.issues)


def test_commits_form_a_dag_and_reverts_name_real_commits(demo: Organisation) -> None:
    for repo in demo.repos.values():
        assert repo.branches["main"] in repo.commits
        for commit in repo.commits.values():
            assert all(p in repo.commits for p in commit.parents)
    platform = demo.repos["acme/platform"]
    reverts = [c for c in platform.commits.values() if c.message.startswith('Revert "')]
    assert reverts
    for commit in reverts:
        reverted = commit.message.split("This reverts commit ")[1][:40]
        assert reverted in platform.commits
    assert any(len(c.parents) == 2 for c in platform.commits.values())


def test_incidents_cover_the_cases_the_metrics_care_about(demo: Organisation) -> None:
    issues = [i for r in demo.repos.values() for i in r.issues if "incident" in i.labels]
    assert any("env:staging" in i.labels for i in issues)
    assert any(label.startswith("service:") for i in issues for label in i.labels)
    reopened = [i for i in issues if i.state == "open" and i.state_reason == "reopened"]
    assert len(reopened) == 1 and reopened[0].closed_at is None
    assert any(i.state == "closed" and i.closed_at for i in issues)
    assert any(
        not i.labels or "incident" not in i.labels for r in demo.repos.values() for i in r.issues
    )


def test_ids_are_unique_per_kind(demo: Organisation) -> None:
    repos = demo.repos.values()
    for ids in (
        [r.id for repo in repos for r in repo.runs],
        [j.id for repo in repos for r in repo.runs for j in r.jobs],
        [d.id for repo in repos for d in repo.deployments],
        [s.id for repo in repos for d in repo.deployments for s in d.statuses],
        [p.id for repo in repos for p in repo.pulls],
    ):
        assert len(ids) == len(set(ids)) and min(ids) > 0


def _snapshot(org: Organisation) -> dict:
    return {
        name: (
            {run.id: (run.updated_at, run.run_attempt, len(run.jobs)) for run in repo.runs},
            {d.id: len(d.statuses) for d in repo.deployments},
            set(repo.commits),
            {i.number: i.updated_at for i in repo.issues},
        )
        for name, repo in org.repos.items()
    }


def test_advance_adds_activity_after_the_old_end_only() -> None:
    org = generate_organisation(seed=9, days=30, end=END, scale="tiny")
    old_end, before = org.end, _snapshot(org)
    advance(org, days=4)
    assert org.end == old_end + timedelta(days=4) and org.days == 34
    assert org.truth["generated"]["end"] == "2026-11-24"
    grew = 0
    for name, repo in org.repos.items():
        runs, deployments, commits, issues = before[name]
        for run in repo.runs:
            if run.id not in runs:
                assert run.created_at >= old_end
                grew += 1
            elif runs[run.id] != (run.updated_at, run.run_attempt, len(run.jobs)):
                assert run.updated_at >= old_end
        for d in repo.deployments:
            new_statuses = d.statuses[deployments.get(d.id, 0) :]
            assert all(s.created_at >= old_end for s in new_statuses)
        for sha in set(repo.commits) - commits:
            assert repo.commits[sha].committer_date >= old_end
        for issue in repo.issues:
            if issue.number not in issues:
                assert issue.created_at >= old_end
            elif issues[issue.number] != issue.updated_at:
                assert issue.updated_at >= old_end
    assert grew > 0


def test_advance_is_deterministic() -> None:
    first = generate_organisation(seed=9, days=20, end=END, scale="tiny")
    second = generate_organisation(seed=9, days=20, end=END, scale="tiny")
    advance(first, days=2)
    advance(second, days=2)
    assert digest(first) == digest(second)


@pytest.mark.slow
def test_large_scale_clones_the_estate_to_fifty_repos() -> None:
    org = generate_organisation(seed=7, days=30, end=END, scale="large")
    assert len(org.repos) == 50
    kinds = Counter(name.split("/")[1].split("-")[0] for name in org.repos)
    assert kinds == {"platform": 17, "web": 17, "infra": 16}
    runs = [run for repo in org.repos.values() for run in repo.runs]
    assert sum(len(run.jobs) for run in runs) / len(runs) < 1.6  # compact jobs
    per_day = len(runs) / 50 / 30
    assert 15 <= per_day <= 60, "about 1M runs over 50 repos and two years"
    assert {d["source"] for d in org.truth["deployments"]} == {"deployments_api", "workflow_run"}
