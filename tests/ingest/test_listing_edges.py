"""Edges of listing GitHub over real HTTP: runs that move between pages while we page, an issue
that loses its incident label, `OWNER/*` for a user rather than an organisation, and the archived
repositories and forks a wildcard leaves out."""

from __future__ import annotations

import json
import urllib.request
from datetime import date
from urllib.parse import urlencode

from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import ids, sync

END = date(2026, 11, 20)
SHORT_LOOKBACK = Settings.model_validate(
    {"github": {"seconds_between_requests": 0, "runs_lookback_days": 3}}
)


def post(base_url: str, path: str, **params: object) -> None:
    request = urllib.request.Request(f"{base_url}{path}?{urlencode(params)}", method="POST")
    urllib.request.urlopen(request).close()


def test_runs_deleted_while_paging_history_are_not_a_reason_to_miss_others(tmp_path):
    """Deleting runs above the page being read pulls items up past it: the walk steps back."""
    org = generate_organisation(seed=11, days=48, scale="tiny", end=END)
    repo = org.repos["acme/platform"]
    assert len(repo.runs) > 300  # history pages behind a 3-day look-back
    deleted: list[int] = []
    with SimulatorServer(org) as server:

        def delete_newest_runs(name: str, stream: str, seen: int) -> None:
            # Once page 2 (history, behind page 1) is fetched, delete the 150 newest runs.
            if stream == "runs" and not deleted and seen >= 200:
                newest = sorted(repo.runs, key=lambda r: r.created_at, reverse=True)[:150]
                deleted.extend(r.id for r in newest)
                repo.runs[:] = [r for r in repo.runs if r.id not in set(deleted)]
                server.api.rebuild()

        run = sync(
            server.base_url,
            tmp_path / "a.duckdb",
            repos=("acme/platform",),
            settings=SHORT_LOOKBACK,
            progress=delete_newest_runs,
        )
    assert not run.failed and deleted
    stored = ids(tmp_path / "a.duckdb", "select run_id from raw.workflow_runs")
    assert {r.id for r in repo.runs} <= stored  # every run still there was read


def test_an_issue_that_loses_its_incident_label_stops_counting(tmp_path):
    org = generate_organisation(seed=11, days=20, scale="tiny", end=END)
    name, repo = next(
        (n, r) for n, r in org.repos.items() if any("incident" in i.labels for i in r.issues)
    )
    issue = next(i for i in repo.issues if "incident" in i.labels)
    db = tmp_path / "a.duckdb"
    incidents = (
        "select repo, number from raw.issues "
        "where list_has_any(list_transform(labels, lambda l: lower(l)), ['incident'])"
    )
    with SimulatorServer(org) as server:
        sync(server.base_url, db, repos=(name,))
        assert (name, issue.number) in ids(db, incidents)
        before = server.stats()["requests"].get("/repos/{owner}/{repo}/issues", {})
        post(
            server.base_url, "/_simulator/unlabel", repo=name, number=issue.number, label="incident"
        )
        again = sync(server.base_url, db, repos=(name,))
        after = server.stats()["requests"]["/repos/{owner}/{repo}/issues"]
        sync(server.base_url, tmp_path / "clean.duckdb", repos=(name,))
    assert not again.failed
    # The row is kept, with its current labels: the models no longer count it as an incident.
    row = f"from raw.issues where repo = '{name}' and number = {issue.number}"
    assert ids(db, "select list_contains(labels, 'incident') " + row) == {False}
    assert ids(db, incidents) == ids(tmp_path / "clean.duckdb", incidents)
    # The re-sync lists the repository's issues once, whatever the number of incident labels.
    assert after == before | {"200": before.get("200", 0) + 1}


def test_owner_star_for_a_user_lists_that_users_repositories(tmp_path):
    """GitHub answers 404 to /orgs/USER/repos; the ingest falls back to /users/USER/repos."""
    org = generate_organisation(seed=11, days=5, scale="tiny", end=END)
    repo = org.repos.pop("acme/infra")
    repo.owner = "octocat"
    org.repos[repo.full_name] = repo
    with SimulatorServer(org) as server:
        run = sync(server.base_url, tmp_path / "u.duckdb", repos=("octocat/*",))
        routes = server.stats()["requests"]
    assert not run.failed, [r.error for r in run.results if r.error]
    assert routes["/orgs/{org}/repos"] == {"404": 1}
    assert routes["/users/{username}/repos"] == {"200": 1}
    assert ids(tmp_path / "u.duckdb", "select repo from raw.repositories") == {"octocat/infra"}
    assert ids(tmp_path / "u.duckdb", "select count(*) from raw.workflow_runs") != {0}


def test_owner_star_leaves_out_archived_repositories_and_forks_unless_configured(tmp_path):
    org = generate_organisation(seed=11, days=5, scale="tiny", end=END)
    org.repos["acme/infra"].archived = True
    org.repos["acme/web"].fork = True
    with SimulatorServer(org) as server:
        with urllib.request.urlopen(f"{server.base_url}/orgs/acme/repos") as response:
            served = {r["full_name"]: (r["archived"], r["fork"]) for r in json.load(response)}
        assert served == {
            "acme/platform": (False, False),
            "acme/web": (False, True),
            "acme/infra": (True, False),
        }
        default = sync(server.base_url, tmp_path / "d.duckdb")
        named = sync(server.base_url, tmp_path / "n.duckdb", repos=("acme/*", "acme/infra"))
        everything = sync(
            server.base_url,
            tmp_path / "e.duckdb",
            settings=Settings.model_validate(
                {
                    "github": {
                        "seconds_between_requests": 0,
                        "include_archived": True,
                        "include_forks": True,
                    }
                }
            ),
        )
    repos = "select repo from raw.repositories"
    assert ids(tmp_path / "d.duckdb", repos) == {"acme/platform"}
    assert default.notes == [
        "acme/*: 1 archived and 1 fork(s) left out "
        "(github.include_archived / github.include_forks to sync them)"
    ]
    assert ids(tmp_path / "n.duckdb", repos) == {"acme/platform", "acme/infra"}  # named: synced
    assert ids(tmp_path / "e.duckdb", repos) == {"acme/platform", "acme/web", "acme/infra"}
    assert not (default.failed or named.failed or everything.failed)
