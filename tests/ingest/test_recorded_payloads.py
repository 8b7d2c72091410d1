"""Real recorded GitHub payloads load into the raw tables through the ingest's own code path."""

from __future__ import annotations

import base64
import json
from functools import partial
from pathlib import Path

import duckdb
import pytest

from ingest.sync import IngestRun
from settings.config import Settings
from tests.ingest.replay_server import ReplayServer, read_replay_file
from tests.prerequisites import fixture_path

REPLAY = fixture_path("github-api/pygithub-replay")
YAML = fixture_path("github-api/workflow-yaml/PyGithub/workflows")


def contents_file(path: str, text: str) -> dict:
    """A Contents API file response (derived: base64 wrapped every 60 characters)."""
    encoded = base64.b64encode(text.encode()).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    return {"type": "file", "encoding": "base64", "path": path, "content": wrapped}


@pytest.fixture()
def replay():
    with ReplayServer(sorted(REPLAY.glob("*.txt"))) as server:
        yield server


def ingest(server: ReplayServer, tmp_path: Path, repo: str, streams: list[str], **settings):
    # The recordings span years, and a stream is run on its own here: read it all in one pass
    # (no newest-first horizon, which the passes of `IngestRun.sync_all` would deepen).
    settings.setdefault("github", {}).setdefault("first_sync_days", 0)
    run = IngestRun(
        Settings.model_validate(settings),
        tmp_path / "dora.duckdb",
        "private_token",
        base_url=server.base_url,
    )
    try:
        for stream in streams:
            result = run.run_stream(repo, stream)
            assert result.error is None, result.error
    finally:
        run.close()
    return partial(query_db, tmp_path / "dora.duckdb")


def query_db(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_runs_workflows_deployments_issues_of_pygithub_load(replay, tmp_path):
    # The recorded statuses belong to deployment 263877258 (recorded under a fork's path).
    statuses = json.loads(
        (REPLAY / "DeploymentStatus.testGetStatuses.txt").read_text().split("\n")[9]
    )
    replay.add("/repos/PyGithub/PyGithub/deployments/263877258/statuses", statuses)
    query = ingest(
        replay,
        tmp_path,
        "PyGithub/PyGithub",
        ["repository", "workflows", "runs", "deployments", "issues"],
        incidents={"labels": ["Bug"]},
        github={"since": "2020-01-01"},
    )
    repo = query("select repo_id, full_name, default_branch from raw.repositories")
    assert repo == [(3544490, "PyGithub/PyGithub", repo[0][2])] and repo[0][2]
    assert query("select count(*) from raw.workflows")[0][0] > 0
    runs = query(
        "select run_id, run_attempt, status, created_at, payload->>'$.id' from raw.workflow_runs"
    )
    assert len(runs) == 5 and all(str(r[0]) == r[4] and r[1] >= 1 and r[3] for r in runs)
    deployments = query(
        "select deployment_id, environment, created_at from raw.deployments order by 1"
    )
    assert [d[0] for d in deployments] == [262350588, 263877258]
    states = query(
        "select state from raw.deployment_statuses where deployment_id = 263877258 order by created_at"
    )
    assert len(states) == 3
    assert query("select number, labels from raw.issues") == [(33, ["Bug"])]
    assert query("select count(*) from raw.skipped_items")[0][0] == 0


def test_recorded_issues_load_without_pull_requests(replay, tmp_path):
    recorded = json.loads(
        (REPLAY / "Repository.testGetIssuesWithArguments.txt").read_text().split("\n")[97]
    )
    replay.add("/repos/PyGithub/PyGithub/issues", recorded)
    query = ingest(replay, tmp_path, "PyGithub/PyGithub", ["repository", "issues"])
    # 2012 payloads carry `pull_request: {html_url: null, ...}` on plain issues too.
    expected = sorted(
        i["number"] for i in recorded if not (i.get("pull_request") or {}).get("html_url")
    )
    assert (
        expected and [n for (n,) in query("select number from raw.issues order by 1")] == expected
    )


def test_paginated_runs_environments_pulls_commits_load(replay, tmp_path):
    # The recorded list (total_count 1374) ignores filters; served as a 30-run window it pages.
    (recorded,) = read_replay_file(REPLAY / "PullRequest1682.test_no_parameters.txt")
    body = json.loads(recorded.body) | {"total_count": 30}
    replay.add("/repos/ReDASers/Phishing-Detection/actions/runs", body, headers=recorded.headers)
    query = ingest(
        replay, tmp_path, "ReDASers/Phishing-Detection", ["runs"], github={"since": "2020-01-01"}
    )
    assert (
        query("select count(*) from raw.workflow_runs")[0][0] == 30
    )  # page 1; page 2 is past the recording
    query = ingest(replay, tmp_path, "alson/PyGithub", ["environments"])
    envs = query("select name, protection_rules from raw.environments order by name")
    assert envs and any(json.loads(rules) for _, rules in envs if rules)
    query = ingest(replay, tmp_path, "rsn491/PyGithub", ["pulls"])
    assert query("select count(*) from raw.pull_requests")[0][0] > 0
    replay.add(
        "/repos/PyGithub/PyGithub",
        json.loads((REPLAY / "Repository.testGetWorkflowRuns.txt").read_text().split("\n")[9])
        | {"default_branch": "release-v2-0"},
    )
    query = ingest(replay, tmp_path, "PyGithub/PyGithub", ["repository", "commits"])
    commits = query("select sha, parents, author_date, committer_date from raw.commits")
    assert len(commits) >= 2 and all(c[1] and c[2] and c[3] for c in commits)


def test_real_workflow_files_parse_into_definitions(replay, tmp_path):
    base = "/repos/PyGithub/PyGithub/contents/.github/workflows"
    listing = []
    for path in sorted(YAML.iterdir()):
        text = path.read_text()
        repo_path = f".github/workflows/{path.name}"
        listing.append(
            {
                "type": "file",
                "name": path.name,
                "path": repo_path,
                "sha": str(hash(text)),
                "url": f"https://api.github.com{base}/{path.name}",
            }
        )
        replay.add(f"{base}/{path.name}", contents_file(repo_path, text))
    listing.append(
        {
            "type": "file",
            "name": "broken.yml",
            "path": ".github/workflows/broken.yml",
            "sha": "0",
            "url": f"https://api.github.com{base}/broken.yml",
        }
    )
    replay.add(
        f"{base}/broken.yml", contents_file(".github/workflows/broken.yml", "jobs: [unclosed")
    )
    replay.add(base, listing)
    query = ingest(replay, tmp_path, "PyGithub/PyGithub", ["repository", "workflow_files"])
    rows = {
        p: (json.loads(d) if d else None, e)
        for p, d, e in query("select path, definition, parse_error from raw.workflow_files")
    }
    assert len(rows) == len(listing)
    ci, _ = rows[".github/workflows/ci.yml"]
    assert ci["name"] == "CI" and "push" in ci["on"]
    assert any(j["uses"] == "./.github/workflows/_build-pkg.yml" for j in ci["jobs"])
    results, _ = rows[".github/workflows/test-results.yml"]
    assert results["workflow_run"] == ["CI"]
    broken, error = rows[".github/workflows/broken.yml"]
    assert broken is None and error.startswith("YAML error")
