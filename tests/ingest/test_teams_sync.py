"""`teams_from_github = true`: the organisation's teams and their repositories land in raw tables."""

from __future__ import annotations

from datetime import date

import duckdb

from flows.engine import LocalTaskGraph
from flows.ingest import STREAM_RETRY, run_ingest, sync_stream
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer

TEAMS = Settings.model_validate(
    {"github": {"seconds_between_requests": 0}, "teams_from_github": True, "repos": ["acme/*"]}
)


def _ingest(base_url: str, db, settings: Settings = TEAMS, repos=None):
    graph = LocalTaskGraph(2, STREAM_RETRY)
    return run_ingest(settings, repos, None, base_url, str(db), None, lambda c: graph.run(sync_stream, c))  # fmt: skip


def test_teams_are_read_and_replaced_whole_at_each_sync(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    org = generate_organisation(seed=11, days=5, scale="tiny", end=date(2026, 11, 20))
    db = tmp_path / "dora.duckdb"
    with SimulatorServer(org) as server:
        summary = _ingest(server.base_url, db)
        assert not summary.errors, summary.errors
        with duckdb.connect(str(db), read_only=True) as con:
            teams = con.execute("select slug, name, parent_slug from raw.github_teams order by slug").fetchall()  # fmt: skip
            owned = con.execute(
                "select team_slug, repo_full_name, role_name from raw.github_team_repositories order by all"  # fmt: skip
            ).fetchall()
        assert teams == [("platform", "Platform", None), ("sre", "SRE", "platform"), ("web", "Web", None)]  # fmt: skip
        assert owned == [
            ("platform", "acme/infra", "maintain"),
            ("platform", "acme/platform", "maintain"),
            ("sre", "acme/infra", "push"),
            ("web", "acme/web", "admin"),
        ]
        # a second sync replaces the rows: none doubled, none left over
        _ingest(server.base_url, db)
        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute("select count(*) from raw.github_team_repositories").fetchone() == (4,)  # fmt: skip
        requests = server.stats()["requests"]
    assert "/orgs/{org}/teams" in requests and "/orgs/{org}/teams/{team_slug}/repos" in requests


def test_without_the_switch_no_team_is_requested(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    org = generate_organisation(seed=11, days=3, scale="tiny", end=date(2026, 11, 20))
    off = TEAMS.model_copy(update={"teams_from_github": False})
    with SimulatorServer(org) as server:
        _ingest(server.base_url, tmp_path / "dora.duckdb", off)
        assert "/orgs/{org}/teams" not in server.stats()["requests"]
