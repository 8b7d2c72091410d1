"""`dora dashboard` in a real headless chromium: every page renders its charts, no exception box."""

from __future__ import annotations

import pytest
from dashboard_browser import CHROMIUM, PAGES, check_every_page, chromium_page, dashboard_server
from snapshot_factory import build_small

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"
)


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
