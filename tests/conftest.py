"""Suite-wide settings: keep Prefect's state out of the home folder and offline."""

import os
import tempfile

# Before anything imports prefect: its settings are read at import time.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="dora-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_API_URL"] = ""
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("DORA_CONFIG", None)


import pytest  # noqa: E402 (after the environment above)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One real `prefect server start` for the session, started on first use: its API URL."""
    from tests.prefect_server import prefect_server

    yield from prefect_server(tmp_path_factory.mktemp("prefect-server"))
