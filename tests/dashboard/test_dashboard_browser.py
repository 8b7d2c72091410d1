"""`dora dashboard` in a real headless chromium: every page renders its charts, no exception box."""

from __future__ import annotations

import io
import re

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


def test_overview_arrows_say_which_way_is_better_in_chromium(tmp_path):
    # acme/tiny, week of 2026-11-02 against the week before (worked out in test_dashboard_pages):
    # deploys 1 -> 2 per week (better: green, up), lead time 10 h -> 4 h (better: green, down),
    # change fail rate 0% -> 33.3% (worse: red, up), rework 0% -> 0% (no change: no arrow, grey).
    build_small(tmp_path / "dora.published.duckdb")
    query = "?repo=acme/tiny&env=production&from=2026-11-02&to=2026-11-08"
    with dashboard_server(tmp_path / "dora.duckdb") as url, chromium_page() as page:
        page.goto(f"{url}/{query}", wait_until="domcontentloaded")
        wait_rendered(page, "Overview")
        tiles = page.evaluate(
            """() => [...document.querySelectorAll("[data-testid='stMetric']")].map(tile => {
                const delta = tile.querySelector("[data-testid='stMetricDelta']");
                const icon = delta && delta.querySelector("[data-testid^='stMetricDeltaIcon']");
                return {
                    label: tile.querySelector("[data-testid='stMetricLabel']").innerText.trim(),
                    text: delta ? delta.innerText.trim() : null,
                    arrow: icon ? icon.dataset.testid.replace('stMetricDeltaIcon-', '') : null,
                    color: delta ? getComputedStyle(delta).color : null,
                };
            })"""
        )
    shown = {tile["label"]: tile for tile in tiles}

    def hue(color: str) -> str:
        red, green, blue = (int(float(part)) for part in re.findall(r"[\d.]+", color)[:3])
        if green > red + 40 and green > blue:
            return "green"
        if red > green + 40 and red > blue:
            return "red"
        return "grey"

    seen = {
        label: (shown[label]["arrow"], hue(shown[label]["color"]))
        for label in (
            "Deployment frequency",
            "Change lead time (median)",
            "Change fail rate",
            "Rework rate",
        )  # fmt: skip
    }
    assert seen == {
        "Deployment frequency": ("Up", "green"),
        "Change lead time (median)": ("Down", "green"),
        "Change fail rate": ("Up", "red"),
        "Rework rate": (None, "grey"),
    }, tiles
    assert shown["Change lead time (median)"]["text"].startswith("-6.0 h")
