"""The simulator's payloads have the keys and JSON types of real GitHub payloads, resource by resource.

References are the recorded PyGithub traffic (ReplayData, parsed as documented in
tests/fixtures/README.md) and, where the recording is old, the newest recording of
that resource or the OpenAPI example; REFERENCES below says which one each resource uses.
Rules: every key of the reference must be present with the same JSON type (a reference `null`
accepts any type; a simulator `null` is accepted only for fields GitHub documents as nullable);
keys the reference lacks are errors, except those GitHub added after an old recording.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable

import pytest
from fixture_org import build_fixture_org

from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.prerequisites import fixture_path

REFERENCE = fixture_path("github-api")

# Keys GitHub added after some recordings were made (newer recordings or the OpenAPI examples carry
# them): user_view_type (2026 recordings), prevent_self_review (OpenAPI environment example).
NEWER_KEYS = {"user_view_type", "prevent_self_review"}
# Free-form objects: only the type is compared.
OPAQUE = {"payload", "custom_properties"}
# Fields the REST description marks nullable: a simulator null is fine for them.
NULLABLE = {
    "description", "conclusion", "closed_at", "merged_at", "merge_commit_sha", "body",
    "previous_attempt_url", "head_commit", "deployment_branch_policy", "started_at",
    "completed_at", "runner_id", "runner_name", "runner_group_id", "runner_group_name",
    "license", "language", "homepage", "author", "committer", "merge_base_commit",
    "state_reason", "closed_by", "milestone", "assignee", "auto_merge", "download_url",
    "environment_url", "performed_via_github_app", "mirror_url", "active_lock_reason",
}  # fmt: skip


def replay_body(name: str, exchange: int) -> object:
    """The JSON body of one exchange of a ReplayData file (11 lines per exchange)."""
    lines = (REFERENCE / "pygithub-replay" / f"{name}.txt").read_text(encoding="utf-8").split("\n")
    exchanges = []
    i = 0
    while i + 9 < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        status, headers, body = lines[i + 7], ast.literal_eval(lines[i + 8]), lines[i + 9]
        exchanges.append((int(status), headers, body))
        i += 11
    return json.loads(exchanges[exchange][2])


def openapi_example(name: str) -> object:
    return json.loads((REFERENCE / "rest-api-description-examples" / f"{name}.json").read_text())


def json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def shape_diff(
    ref: object, sim: object, path: str = "$", extra_ok: frozenset = frozenset()
) -> list[str]:
    """Differences in keys and JSON types between a reference payload and a simulator payload."""
    key = path.rsplit(".", 1)[-1]
    if ref is None:
        return []
    if sim is None:
        return [] if key in NULLABLE else [f"{path}: null, GitHub sends {json_type(ref)}"]
    if json_type(ref) != json_type(sim):
        return [f"{path}: {json_type(sim)}, GitHub sends {json_type(ref)}"]
    if key in OPAQUE:
        return []
    problems: list[str] = []
    if isinstance(ref, dict):
        for missing in ref.keys() - sim.keys():
            problems.append(f"{path}.{missing}: missing")
        for extra in sim.keys() - ref.keys() - NEWER_KEYS - extra_ok:
            problems.append(f"{path}.{extra}: not in GitHub's payload")
        for k in ref.keys() & sim.keys():
            problems += shape_diff(ref[k], sim[k], f"{path}.{k}", extra_ok)
    elif isinstance(ref, list) and ref and sim:
        for i, item in enumerate(sim):
            counterpart = ref[0]
            if isinstance(item, dict) and "type" in item:
                # Heterogeneous lists (protection rules): compare with the element of the same type.
                counterpart = next((r for r in ref if r.get("type") == item["type"]), None)
                if counterpart is None:
                    continue
            problems += shape_diff(counterpart, item, f"{path}[{i}]", extra_ok)
    return problems


# --- which simulator URL answers which reference ---


class Sim:
    """Fetches simulator payloads over HTTP and finds ids to ask for."""

    def __init__(self, server: SimulatorServer, repo: str) -> None:
        import urllib.request

        self._open = urllib.request.urlopen
        self.base = server.base_url
        self.repo = repo

    def get(self, path: str) -> object:
        url = path if path.startswith("http") else f"{self.base}/repos/{self.repo}{path}"
        with self._open(url, timeout=30) as resp:
            return json.loads(resp.read())

    def first(self, path: str, key: str | None = None, where: Callable = lambda x: True) -> dict:
        page = self.get(path)
        items = page[key] if key else page
        return next(item for item in items if where(item))

    def run(self) -> dict:
        return self.first("/actions/runs?status=completed&per_page=100", "workflow_runs")

    def rerun(self) -> dict:
        return self.first(
            "/actions/runs?per_page=100", "workflow_runs", lambda r: r["run_attempt"] > 1
        )

    def deployment(self) -> dict:
        return self.first("/deployments")

    def commit_sha(self) -> str:
        return self.first("/commits")["sha"]


def pull_reference() -> list:
    """The OpenAPI pull items, with the recorded `head.repo`/`base.repo` (the example's is synthetic)."""
    items = openapi_example("pull-request-simple-items")
    recorded = replay_body("PullRequest1375.setUp", 1)[0]["head"]["repo"]
    for item in items:
        item["head"]["repo"] = item["base"]["repo"] = recorded
    return items


def repository_keys_2025() -> frozenset:
    """Keys a repository carries today (the 2025 recording): allowed on the 2020 pull repo."""
    return frozenset(replay_body("Repository.testGetWorkflowJob", 0))


# (resource, reference, reference source, simulator payload)
REFERENCES: list[tuple[str, Callable[[], object], str, Callable[[Sim], object]]] = [
    ("repository", lambda: replay_body("Repository.testGetWorkflowJob", 0), "recording 2025-11",
     lambda s: s.get("")),
    ("workflows", lambda: replay_body("Repository.testGetWorkflows", 1), "recording 2020-04",
     lambda s: s.get("/actions/workflows")),
    ("workflow", lambda: replay_body("Workflow.setUp", 1), "recording 2020-04",
     lambda s: s.get(f"/actions/workflows/{s.first('/actions/workflows', 'workflows')['id']}")),
    ("workflow runs", lambda: replay_body("Repository.testGetWorkflowRunsCreated", 1),
     "recording 2024-02", lambda s: s.get("/actions/runs?status=completed")),
    ("workflow run", lambda: replay_body("WorkflowRun.testGetAttempt", 1), "recording 2026-05",
     lambda s: s.get(f"/actions/runs/{s.run()['id']}")),
    ("run attempt", lambda: replay_body("WorkflowRun.testGetAttempt", 2), "recording 2026-05",
     lambda s: s.get(f"/actions/runs/{s.rerun()['id']}/attempts/1")),
    ("run jobs", lambda: replay_body("WorkflowRun.test_jobs", 0), "recording 2023-06",
     lambda s: s.get(f"/actions/runs/{s.run()['id']}/jobs?filter=all")),
    ("job", lambda: replay_body("Repository.testGetWorkflowJob", 1), "recording 2025-11",
     lambda s: s.get(s.get(f"/actions/runs/{s.run()['id']}/jobs")["jobs"][0]["url"])),
    ("deployments", lambda: replay_body("Repository.testGetDeployments", 0), "recording 2020-08",
     lambda s: s.get("/deployments")),
    ("deployment", lambda: replay_body("Deployment.setUp", 2), "recording 2020-08",
     lambda s: s.get(s.deployment()["url"])),
    ("deployment statuses", lambda: replay_body("DeploymentStatus.testGetStatuses", 0),
     "recording 2020-08", lambda s: s.get(s.deployment()["statuses_url"])),
    ("deployment status", lambda: replay_body("DeploymentStatus.setUp", 3), "recording 2020-08",
     lambda s: s.get(s.get(s.deployment()["statuses_url"])[0]["url"])),
    ("environments", lambda: replay_body("Environment.testGetEnvironments", 1),
     "recording 2022-04", lambda s: s.get("/environments")),
    ("environment", lambda: replay_body("Environment.setUp", 2), "recording 2022-04",
     lambda s: s.get(s.first("/environments", "environments", lambda e: e["protection_rules"])["url"])),
    ("commits", lambda: replay_body("CompletableGithubObjectWithPaginatedProperty.testRepoCommitsFiles", 0),
     "recording 2026-01", lambda s: s.get("/commits")),
    ("commit", lambda: replay_body("CompletableGithubObjectWithPaginatedProperty.testRepoCommitsFiles", 1),
     "recording 2026-01", lambda s: s.get(f"/commits/{s.commit_sha()}")),
    ("compare", lambda: replay_body("Repository.testCompare", 0), "recording 2025-10",
     lambda s: s.get(f"/compare/{s.get('/commits?per_page=5')[-1]['sha']}...{s.commit_sha()}")),
    ("pull requests", pull_reference,
     "OpenAPI example (the 2020 recording predates auto_merge/draft), head/base repo recorded 2020-02",
     lambda s: s.get("/pulls?state=all")),
    ("pull commits", lambda: replay_body("CompletableGithubObjectWithPaginatedProperty.testRepoCommitsFiles", 0),
     "recording 2026-01 (commit list items)",
     lambda s: s.get(s.first("/pulls?state=all", where=lambda p: p["merged_at"])["commits_url"])),
    ("issues", lambda: replay_body("GraphQl.testPaginationAndRestIntegration", 4),
     "recording 2024-09", lambda s: s.get("/issues?state=all&per_page=100")),
    ("contents directory", lambda: openapi_example("content-file-response-if-content-is-a-directory"),
     "OpenAPI example (the 2016 recording lists a repo root)",
     lambda s: s.get("/contents/.github/workflows")),
    ("contents file", lambda: openapi_example("content-file-response-if-content-is-a-file"),
     "OpenAPI example (the 2012 recording predates url/html_url/download_url)",
     lambda s: s.get(s.get("/contents/.github/workflows")[0]["url"])),
    ("rate limit", lambda: replay_body("RateLimiting.testGetRateLimit", 0), "recording 2023-05",
     lambda s: s.get(f"{s.base}/rate_limit")),
]  # fmt: skip

# Issue items of real issues (no pull request) lack the pull-request-only keys.
ISSUE_ONLY_MISSING = {"pull_request", "draft"}


def build_org(name: str):
    """The hand-made organisation, or the generator's tiny one."""
    if name == "fixture":
        return build_fixture_org()
    from datetime import date

    return generate_organisation(seed=7, days=30, end=date(2026, 11, 20), scale="tiny")


@pytest.fixture(scope="module", params=["fixture", "tiny"])
def sim(request):
    with SimulatorServer(build_org(request.param)) as server:
        yield Sim(server, "acme/platform")


@pytest.mark.parametrize("resource", [r[0] for r in REFERENCES])
def test_payload_has_github_keys_and_types(sim, resource):
    _, reference, source, fetch = next(r for r in REFERENCES if r[0] == resource)
    extra_ok = repository_keys_2025() if resource == "pull requests" else frozenset()
    problems = shape_diff(reference(), fetch(sim), extra_ok=extra_ok)
    if resource == "issues":
        problems = [p for p in problems if p.split(".")[-1].split(":")[0] not in ISSUE_ONLY_MISSING]
    assert problems == [], f"{resource} vs {source}"


def test_org_repos_items_have_the_listing_shape(sim):
    # GitHub lists repositories without the keys only `GET /repos/{o}/{r}` returns.
    full_only = {
        "temp_clone_token",
        "custom_properties",
        "organization",
        "network_count",
        "subscribers_count",
    }
    reference = {
        k: v
        for k, v in replay_body("Repository.testGetWorkflowJob", 0).items()
        if k not in full_only
    }
    listed = sim.get(f"{sim.base}/orgs/acme/repos")
    assert listed
    for repo in listed:
        assert shape_diff(reference, repo) == []


def test_shape_diff_catches_differences():
    ref = {"a": 1, "b": {"c": "x"}, "l": [{"d": True}]}
    assert shape_diff(ref, {"a": 1, "b": {"c": "y"}, "l": [{"d": False}]}) == []
    problems = shape_diff(ref, {"a": "1", "b": {}, "l": [{"d": 1}], "z": 0})
    assert "$.a: string, GitHub sends number" in problems
    assert "$.b.c: missing" in problems
    assert "$.l[0].d: number, GitHub sends boolean" in problems
    assert "$.z: not in GitHub's payload" in problems
