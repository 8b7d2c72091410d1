"""Dashboard fixtures: a hand-made snapshot file, the app under AppTest, and clean caches."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from snapshot_factory import build_small
from streamlit.testing.v1 import AppTest

from dashboard import SNAPSHOT_ENV

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@pytest.fixture(scope="session")
def small_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`<tmp>/dora.published.duckdb`, the published snapshot of `<tmp>/dora.duckdb`."""
    return build_small(tmp_path_factory.mktemp("dash") / "dora.published.duckdb")


@pytest.fixture(autouse=True)
def clean_streamlit_caches():
    # st.cache_data / st.cache_resource are process-wide: without this, one test sees another's data.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def snapshot_env(small_snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SNAPSHOT_ENV, str(small_snapshot))
    return small_snapshot


@pytest.fixture
def app(snapshot_env: Path) -> AppTest:
    """The dashboard, not yet run; set `app.query_params` before `.run()` to open a shared link."""
    return AppTest.from_file(str(APP), default_timeout=60)
