"""Suite-wide settings: keep Prefect's state out of the home folder and offline; under CI a
missing prerequisite fails the run instead of skipping what needs it."""

import os
import tempfile
from pathlib import Path

import pytest

from tests.prerequisites import in_ci, require_chromium

# Before anything imports prefect: its settings are read at import time.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="dora-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_API_URL"] = ""
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("DORA_CONFIG", None)


def _fail_skip_in_ci(report: pytest.CollectReport | pytest.TestReport) -> None:
    """CI runs everything: a skip there (chromium, fixture data, a package...) is a failure."""
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _fail_skip_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    _fail_skip_in_ci(report)
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The SQL mutation run (`make mutate`, half an hour) only when `-m` asks for it."""
    if "sql_mutation" in (config.option.markexpr or ""):
        return
    mutation_runs = [item for item in items if item.get_closest_marker("sql_mutation")]
    if mutation_runs:
        config.hook.pytest_deselected(items=mutation_runs)
        items[:] = [item for item in items if not item.get_closest_marker("sql_mutation")]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium binary (skips locally, fails under CI, when it is not installed)."""
    return require_chromium()


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One real `prefect server start` for the session, started on first use: its API URL."""
    from tests.prefect_server import prefect_server

    yield from prefect_server(tmp_path_factory.mktemp("prefect-server"))
