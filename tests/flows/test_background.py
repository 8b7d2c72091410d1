"""The demo's child processes: the simulator answers, a dead child is one clear line, stop() stops."""

from __future__ import annotations

import json
import sys
import urllib.request

import pytest

from flows.background import Background, BackgroundError, SimulatorProcess


def test_simulator_process_serves_the_organisation_until_stopped():
    simulator = SimulatorProcess(seed=3, days=7)
    try:
        url = simulator.wait_ready(timeout=60)
        with urllib.request.urlopen(f"{url}/orgs/acme/repos") as response:
            names = {repo["full_name"] for repo in json.load(response)}
        assert names == {"acme/platform", "acme/web", "acme/infra"}
    finally:
        simulator.stop()
    assert simulator.process.returncode is not None
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/orgs/acme/repos", timeout=2)


def test_a_child_that_dies_is_reported_with_its_last_output():
    child = Background(
        "the test child",
        [
            sys.executable,
            "-c",
            "import sys; sys.stderr.write('first\\nport in use\\n'); sys.exit(3)",
        ],
    )
    try:
        child.process.wait(timeout=30)
        with pytest.raises(BackgroundError) as error:
            child.check_running()
    finally:
        child.stop()
    assert str(error.value) == "the test child exited with code 3: first | port in use"


def test_a_simulator_that_cannot_start_says_why():
    simulator = SimulatorProcess(seed=3, days=0)  # --days must be positive: exits at once
    try:
        with pytest.raises(BackgroundError, match="the GitHub simulator did not start"):
            simulator.wait_ready(timeout=60)
    finally:
        simulator.stop()
