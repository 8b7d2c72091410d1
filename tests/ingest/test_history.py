"""Newest first over real HTTP: a first sync reads every repository's recent weeks, later passes
deepen history, and the end result equals a sync that read everything at once, row for row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.history import pending
from ingest.store import Store
from ingest.sync import IngestRun
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import default_branch_shas, ids, incident_issues, snapshot, sync

END = datetime(2026, 11, 20).date()
RULE = {"workflow": ".github/workflows/terraform-apply.yml", "environment": "production"}


def settings(**github: int) -> Settings:
    # 20 a page: the deepen pass must find where older history starts in lists of many pages
    return Settings.model_validate(
        {
            "github": {"seconds_between_requests": 0, "per_page": 20, **github},
            "deploy_rules": [RULE],
        }
    )


@pytest.fixture(scope="module")
def org():
    return generate_organisation(seed=11, days=90, scale="tiny", end=END)


@pytest.fixture(scope="module")
def synced(org, tmp_path_factory):
    """The recent pass alone, then the deepen passes; and a sync that read it all at once."""
    root = tmp_path_factory.mktemp("history")
    with SimulatorServer(org) as server:
        at_once = sync(server.base_url, root / "once.duckdb", settings=settings(first_sync_days=0))
        recent = root / "recent.duckdb"
        first = sync(server.base_url, recent, settings=settings(), depth="recent")
        after_first = copy(recent, root / "after-first.duckdb")
        deeper = sync(server.base_url, recent, settings=settings(), depth="deepen")
    assert not (at_once.failed or first.failed or deeper.failed)
    return root / "once.duckdb", after_first, recent


def copy(db: Path, target: Path) -> Path:
    target.write_bytes(db.read_bytes())
    return target


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def history_rows(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select repo, cursor_at, details->>'horizon', details->>'target' "
            "from raw.sync_state where stream = 'history'"
        ).fetchall()
    return {repo: rest for repo, *rest in rows}


def test_the_first_pass_reads_each_repositorys_last_four_weeks_whole(org, synced):
    _, after_first, _ = synced
    history = history_rows(after_first)
    assert set(history) == set(org.repos)
    for name, repo in org.repos.items():
        # 28 days (github.first_sync_days) before the last push, at midnight
        day = (naive(repo.pushed_at) - timedelta(days=28)).date()
        horizon = datetime(day.year, day.month, day.day)
        reached, horizon_text, target_text = history[name]
        assert reached == horizon and horizon_text == horizon.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert target_text == naive(repo.created_at).strftime("%Y-%m-%dT%H:%M:%SZ")
        where = f"from raw.{{}} where repo = '{name}'"

        def since_horizon(items, horizon=horizon):
            return {key for key, at in items if naive(at) >= horizon}

        deployments = ids(after_first, "select deployment_id " + where.format("deployments"))
        assert since_horizon((d.id, d.created_at) for d in repo.deployments) <= deployments
        runs = ids(after_first, "select run_id " + where.format("workflow_runs"))
        assert since_horizon((r.id, r.created_at) for r in repo.runs) <= runs
        pulls = ids(after_first, "select number " + where.format("pull_requests"))
        assert since_horizon((p.number, p.updated_at) for p in repo.pulls) <= pulls
        issues = ids(after_first, "select number " + where.format("issues"))
        assert since_horizon((i.number, i.updated_at) for i in incident_issues(repo)) <= issues
        commits = ids(after_first, "select sha " + where.format("commits"))
        main = default_branch_shas(repo)
        assert since_horizon((s, repo.commits[s].committer_date) for s in main) <= commits
        # ... and not the older history: that is for the deepen pass
        assert len(runs) < len(repo.runs) and len(commits) < len(main)
    with Store(after_first) as store:
        assert pending(store) == sorted(org.repos)


def test_deepen_passes_end_equal_to_a_sync_that_read_everything_at_once(org, synced):
    at_once, _, deepened = synced
    # compared_shas is the sync's note of which shas were compared: a sha deployed just after the
    # horizon and committed just before it is compared by the first pass (its commit is listed
    # only later); no model reads the table, and the commits are the same.
    first, once = snapshot(deepened), snapshot(at_once)
    extra = set(first.pop("compared_shas")) - set(once.pop("compared_shas"))
    assert first == once
    # (repo, sha, base_ref, status, ahead_by, ...): on the default branch, nothing ahead
    assert len(extra) <= len(org.repos) and all(r[3:5] == ("behind", "0") for r in extra), extra
    history = history_rows(deepened)
    for name, repo in org.repos.items():
        assert history[name][0] == naive(repo.created_at)  # complete: back to the creation
    with Store(deepened) as store:
        assert pending(store) == []


def test_history_deepens_a_step_at_a_time_newest_first(org, synced, tmp_path):
    at_once, *_ = synced
    db = tmp_path / "steps.duckdb"
    step = timedelta(days=200)
    reached: list[dict[str, datetime]] = []
    with SimulatorServer(org) as server:
        run = IngestRun(settings(history_step_days=200), db, "t", base_url=server.base_url)
        try:
            run.check_token()
            repos = run.resolve_repos(["acme/*"])
            for one in run.passes(repos):
                for repo in one.repos:
                    run.sync_repo(repo, one)
                rows = run.store.query(
                    "select repo, cursor_at from raw.sync_state where stream = 'history'"
                )
                reached.append(dict(rows))
        finally:
            run.close()
    assert not run.failed, [r.error for r in run.results if r.error]
    # the recent pass, then 200 days deeper each pass (newest first) until the creation
    for name, repo in org.repos.items():
        created = naive(repo.created_at)
        trail = [r[name] for r in reached if name in r]
        assert trail[-1] == created
        assert all(
            older == max(newer - step, created)
            for newer, older in zip(trail, trail[1:], strict=False)
            if newer > created
        )
    assert len(reached) >= 4
    first, once = snapshot(db), snapshot(at_once)
    first.pop("compared_shas"), once.pop("compared_shas")
    assert first == once


def test_a_deepen_pass_steps_back_when_deleted_deployments_pulled_older_ones_up(org, tmp_path):
    """The deepen pass jumps to the page where stored deployments end; deployments deleted since
    pull older ones up above that page, so it must land higher, or miss them."""
    org = generate_organisation(seed=11, days=90, scale="tiny", end=END)
    repo = org.repos["acme/platform"]
    db = tmp_path / "deleted.duckdb"
    with SimulatorServer(org) as server:
        small = settings(per_page=10)
        sync(server.base_url, db, repos=("acme/platform",), settings=small, depth="recent")
        stored = ids(db, "select deployment_id from raw.deployments")
        assert 30 <= len(stored) < len(repo.deployments)  # several pages, not everything
        newest = sorted(repo.deployments, key=lambda d: d.created_at, reverse=True)[:25]
        repo.deployments[:] = [d for d in repo.deployments if d not in newest]
        server.api.rebuild()
        server.graphql.rebuild()
        run = sync(server.base_url, db, repos=("acme/platform",), settings=small)
    assert not run.failed, [r.error for r in run.results if r.error]
    assert {d.id for d in repo.deployments} <= ids(db, "select deployment_id from raw.deployments")
