"""Each stream's incremental contract: its key is the table's, its look-back is the setting's."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.store import Store
from ingest.streams.incremental import CONTRACTS, FETCHED_ONCE
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.ingest.sim_helpers import sync


def test_every_contract_names_its_raw_tables_primary_key(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        for contract in [*CONTRACTS.values(), *FETCHED_ONCE.values()]:
            assert contract.key == store.table(contract.table).key, contract.stream
        for contract in FETCHED_ONCE.values():  # one row per parent row: the parent's key
            assert contract.key == store.table(contract.parent_table).key, contract.stream


def test_every_lookback_is_a_setting():
    settings = Settings.model_validate(
        {"github": {f"{c.stream}_lookback_days": 7 for c in CONTRACTS.values()}}
    )
    for contract in CONTRACTS.values():
        assert contract.lookback(settings).days == 7, contract.stream


def settings(**github: int) -> Settings:
    return Settings.model_validate({"github": {"seconds_between_requests": 0, **github}})


@pytest.fixture(scope="module")
def synced_once(tmp_path_factory):
    """The tiny organisation synced once with 10 items per page (so every list has pages)."""
    org = generate_organisation(seed=11, days=60, scale="tiny", end=date(2026, 11, 20))
    db = tmp_path_factory.mktemp("incremental") / "dora.duckdb"
    with SimulatorServer(org) as server:
        sync(server.base_url, db, settings=settings(per_page=10))
        yield server, db


@pytest.mark.parametrize(
    ("setting", "route"),
    [
        ("pulls_lookback_days", "/repos/{owner}/{repo}/pulls"),
        ("deployments_lookback_days", "/repos/{owner}/{repo}/deployments"),
        ("commits_lookback_days", "/repos/{owner}/{repo}/commits"),
    ],
)
def test_a_longer_lookback_setting_rereads_more_pages(synced_once, setting, route):
    server, db = synced_once

    def resync_requests(days: int) -> int:
        server.reset()
        sync(server.base_url, db, settings=settings(per_page=10, **{setting: days}))
        return sum(server.stats()["requests"].get(route, {}).values())

    short, long = resync_requests(0), resync_requests(3650)
    assert long > short >= 1, (short, long)
