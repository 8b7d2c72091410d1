"""Fixtures of the simulator tests: the hand-made organisation and a server over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fixture_org import build_fixture_org

from simulator.records import Organisation
from simulator.server import SimulatorServer


@pytest.fixture
def fixture_org() -> Organisation:
    return build_fixture_org()


@pytest.fixture
def server(fixture_org: Organisation) -> Iterator[SimulatorServer]:
    with SimulatorServer(fixture_org) as srv:
        yield srv
