"""The dashboard on a snapshot really built from the simulator: simulator -> ingest -> build -> app.

The organisation is the simulator's `tiny` scale over 28 days (about 25 s to ingest and build);
its screenshots are the ones under data/screenshots/ that the README shows.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from dashboard_browser import (
    SCREENSHOTS,
    chart_report,
    check_every_page,
    chromium_page,
    dashboard_server,
    wait_rendered,
)

from dashboard import SNAPSHOT_ENV
from flows.build import build_and_publish
from ingest.sync import IngestRun
from settings.config import load_settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 11, 20)
WINDOW_DAYS = 28


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ingest the simulated organisation over real HTTP, build the models, publish the snapshot."""
    org = generate_organisation(seed=7, days=WINDOW_DAYS, end=AS_OF.date(), scale="tiny")
    settings = load_settings(ROOT / "simulator" / "demo.toml")
    settings.github.seconds_between_requests = 0
    db = tmp_path_factory.mktemp("demo") / "dora.duckdb"
    with SimulatorServer(org, host="127.0.0.1", port=0) as server:
        run = IngestRun(settings, db, "any-token", base_url=server.base_url)
        try:
            run.sync_all(settings.repos)
        finally:
            run.close()
    build_and_publish(db, settings, as_of=AS_OF, window_days=WINDOW_DAYS)
    return db


def test_period_figures_agree_with_the_dora_summary_mart(demo_db, monkeypatch):
    """Over the build window, the pages' SQL aggregation gives the mart's own numbers and levels."""
    import duckdb

    from dashboard import data
    from dashboard.scope import Scope
    from models.publish import snapshot_path

    snapshot = snapshot_path(demo_db)
    monkeypatch.setenv(SNAPSHOT_ENV, str(snapshot))
    with duckdb.connect(str(snapshot), read_only=True) as con:
        summary = con.execute("select * from dora_summary").df()
    assert not summary.empty
    start, end = date(2026, 10, 23), date(2026, 11, 19)  # (as_of - 28 days, as_of]
    for row in summary.itertuples(index=False):
        scope = Scope(row.repo, row.service, row.environment, start, end, "week", "2023")
        mine = data.period_summary(scope).iloc[0]
        for column in ("deployments", "change_failures", "change_fail_rate", "rework_rate",
                       "lead_time_p50_seconds", "lead_time_p90_seconds", "recovery_p50_seconds",
                       "deploy_days", "deploy_days_per_week_p50", "deploy_days_per_month_p50"):  # fmt: skip
            expected, got = getattr(row, column), mine[column]
            assert (pd.isna(expected) and pd.isna(got)) or got == pytest.approx(expected), (row.repo, row.service, row.environment, column)  # fmt: skip
        if row.environment == "production":
            levels = data.levels(mine, "2023")
            built = {
                "deployment_frequency": row.deployment_frequency_level,
                "lead_time": row.lead_time_level,
                "change_fail_rate": row.change_fail_rate_level,
                "recovery": row.recovery_level,
            }
            assert levels == {k: v for k, v in built.items() if not pd.isna(v)}


def test_demo_dashboard_renders_every_page_in_chromium(demo_db, chromium):
    query = "?from=2026-10-23&to=2026-11-19"
    seen = check_every_page(demo_db, SCREENSHOTS, query)
    assert all(charts == drawn for charts, drawn in seen.values())


def test_pipeline_orchestration_draws_today_and_the_proposal_in_chromium(demo_db, chromium):
    query = "?repo=acme/platform&from=2026-10-23&to=2026-11-19"
    with dashboard_server(demo_db) as url, chromium_page() as page:
        page.goto(f"{url}/pipeline{query}", wait_until="domcontentloaded")
        wait_rendered(page, "Pipeline")
        page.get_by_text("Proposed: .github/workflows/release-orchestrator.yml").wait_for()
        charts, drawn = chart_report(page)
        assert page.locator("[data-testid='stException']").count() == 0
        graphs = page.locator("[data-testid='stGraphVizChart'] svg")
        assert graphs.count() == 3  # the dependency graph, then today's and the proposed stages
        assert charts == drawn
        assert "approve-production" in graphs.nth(2).text_content()
        assert page.get_by_text("Manual triggers per release, today").count() == 1


def test_teams_page_compares_both_demo_teams_in_chromium(demo_db, chromium):
    # simulator/demo.toml: Platform (acme/platform, acme/infra) and Web (acme/web)
    with dashboard_server(demo_db) as url, chromium_page() as page:
        page.goto(f"{url}/teams?from=2026-10-23&to=2026-11-19", wait_until="domcontentloaded")
        wait_rendered(page, "Teams")
        assert page.locator("[data-testid='stException']").count() == 0
        charts, drawn = chart_report(page)
        assert charts == drawn == 5
        text = page.locator("[data-testid='stMain']").inner_text()
        assert "Platform: acme/infra, acme/platform" in text and "Web: acme/web" in text
        assert page.get_by_text("Side by side").count() == 1
        assert page.get_by_text("Goals", exact=True).count() == 1
