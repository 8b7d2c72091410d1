"""The scheduled pipeline's steps (`flows.pipeline.refresh`, in-process) against the simulator:
recent weeks published before older history, `--max-wait` still publishes, a bad token does not."""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import IngestStopped, refresh
from models.publish import snapshot_path
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer

LOG = logging.getLogger("tests.pipeline")


@pytest.fixture(scope="module")
def org():
    return generate_organisation(seed=11, days=60, scale="tiny", end=date(2026, 11, 20))


def config(root: Path, base_url: str, **github: object) -> str:
    lines = [f'base_url = "{base_url}"', "seconds_between_requests = 0"]
    lines += [f"{key} = {value}" for key, value in github.items()]
    path = root / "dora.toml"
    path.write_text('repos = ["acme/*"]\n[github]\n' + "\n".join(lines) + "\n")
    return str(path)


def history_states(snapshot: Path) -> tuple[str, ...] | None:
    """The history_state of every repository in the published snapshot (None: none yet)."""
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            rows = con.execute("select history_state from history_coverage order by repo")
            return tuple(state for (state,) in rows.fetchall())
    except (duckdb.IOException, duckdb.CatalogException):
        return None  # not published yet


def test_a_first_refresh_publishes_the_recent_weeks_before_older_history(
    org, tmp_path, monkeypatch
):
    monkeypatch.setenv("GITHUB_TOKEN", "pipeline-token")
    db = tmp_path / "dora.duckdb"
    seen: list[tuple[str, ...]] = []
    done = threading.Event()

    def watch() -> None:  # a reader of the snapshot, as the dashboard is
        while not done.is_set():
            states = history_states(snapshot_path(db))
            if states and (not seen or seen[-1] != states):
                seen.append(states)
            done.wait(0.02)

    reader = threading.Thread(target=watch)
    with SimulatorServer(org) as server:
        reader.start()
        try:
            published = refresh(str(db), config(tmp_path, server.base_url), LOG)
        finally:
            done.set()
            reader.join()
    assert Path(published) == snapshot_path(db)
    assert history_states(snapshot_path(db)) == ("complete",) * len(org.repos)
    # first published: every repository's recent weeks, its older history still to come
    assert seen[0] == ("deepening",) * len(org.repos), seen


def test_a_refresh_stopped_at_max_wait_still_publishes_what_it_saved(org, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "pipeline-token")
    db = tmp_path / "dora.duckdb"
    # 60 requests an hour: the budget runs out mid-sync, and no wait is allowed
    with SimulatorServer(org, rate_limit=60, rate_reset_seconds=3600) as server:
        settings = config(tmp_path, server.base_url, max_wait_seconds=0)
        published = refresh(str(db), settings, LOG)
        with duckdb.connect(published, read_only=True) as con:
            repos = con.execute("select count(*) from repositories").fetchone()[0]
            states = con.execute("select history_state from history_coverage").fetchall()
        assert repos > 0 and ("complete",) not in states  # what was saved, built and published
        server.reset()  # the next hour's budget: the next run goes on from there
        server.credentials.shared_core.limit = 5000
        published = refresh(str(db), settings, LOG)
    assert history_states(Path(published)) == ("complete",) * len(org.repos)


def test_a_rejected_token_stops_the_refresh_and_publishes_nothing(org, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "bad-token")
    db = tmp_path / "dora.duckdb"
    with SimulatorServer(org) as server, pytest.raises(IngestStopped, match="rejected"):
        refresh(str(db), config(tmp_path, server.base_url), LOG)
    assert not snapshot_path(db).exists()
