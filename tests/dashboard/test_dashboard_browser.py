"""`dora dashboard` in a real headless chromium: every page renders its charts, no exception box."""

from __future__ import annotations

import io

import pytest
from dashboard_browser import (
    PAGES,
    check_every_page,
    chromium_page,
    dashboard_server,
    wait_rendered,
)
from snapshot_factory import build_small

pytestmark = pytest.mark.usefixtures("chromium")


def test_every_page_of_the_fixture_renders_in_chromium(tmp_path):
    # The fixture carries the edge cases: HTML and quotes in names, an empty week, a repo
    # without deployments. (The demo organisation's run saves the README screenshots.)
    build_small(tmp_path / "dora.published.duckdb")
    seen = check_every_page(tmp_path / "dora.duckdb", tmp_path / "screenshots")
    assert set(seen) == {p or "overview" for p in PAGES}


def test_missing_snapshot_page_shows_a_message_in_chromium(tmp_path):
    with dashboard_server(tmp_path / "absent.duckdb") as url, chromium_page() as page:
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("No published snapshot").wait_for(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0


def test_table_downloads_are_made_on_click_in_chromium(tmp_path):
    # The app hands Streamlit a callable, so the file is made only when the button is clicked.
    import duckdb
    import pandas as pd

    snapshot = build_small(tmp_path / "dora.published.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        expected = con.execute("select * from data_quality order by repo").df()
    with dashboard_server(tmp_path / "dora.duckdb") as url, chromium_page() as page:
        page.goto(f"{url}/data_quality", wait_until="domcontentloaded")
        wait_rendered(page, "Data quality")
        files = {}
        for label in ("Download CSV", "Download Parquet"):
            with page.expect_download(timeout=30_000) as download:
                page.get_by_role("button", name=label).first.click()
            files[label] = download.value.path().read_bytes()
    csv = pd.read_csv(io.BytesIO(files["Download CSV"]))
    parquet = pd.read_parquet(io.BytesIO(files["Download Parquet"]))
    assert csv["repo"].tolist() == parquet["repo"].tolist() == expected["repo"].tolist()
    assert list(parquet.columns) == list(expected.columns)
