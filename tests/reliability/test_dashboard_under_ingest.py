"""The dashboard stays up while `dora ingest` and `dora build` run in a loop next to it.

A real headless chromium reloads every page over and over while the simulator advances, the
pipeline ingests and publishes: no page ever shows an exception or an error box, the new data
shows after each build without a restart, and no side ever fails on a DuckDB lock.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from flows.build import build_and_publish
from ingest.sync import IngestRun
from settings.config import load_settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.reliability.harness import TOKEN, PrefectServer, base_env, run_dora

ROOT = Path(__file__).resolve().parents[2]


def _browser_helpers():
    """tests/dashboard/dashboard_browser.py: the dashboard's own browser fixtures, reused."""
    if "dashboard_browser" not in sys.modules:
        path = ROOT / "tests" / "dashboard" / "dashboard_browser.py"
        spec = importlib.util.spec_from_file_location("dashboard_browser", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["dashboard_browser"] = module
    return sys.modules["dashboard_browser"]


browser = _browser_helpers()
pytestmark = pytest.mark.usefixtures("chromium")
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
WARNINGS = "[data-testid='stAlertContentWarning']"
CAPTION_END = re.compile(r"– (\d\d [A-Z][a-z]{2} \d{4})")
LOCKED = re.compile(r"lock", re.IGNORECASE)
RENDER_TIMEOUT_MS = 120_000  # generous: two cores shared with the pipeline's processes


@dataclass
class Figures:
    iterations: int = 0
    page_loads: int = 0
    errors: list[str] = field(default_factory=list)
    ends_seen: list[date] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _pipeline_loop(
    server: SimulatorServer,
    db: Path,
    env: dict,
    iterations: int,
    figures: Figures,
    stop: threading.Event,
) -> None:
    """advance -> ingest -> build, `iterations` times; every failure is kept, none raised."""
    for _ in range(iterations):
        if stop.is_set():
            return
        server.advance(2)
        for step in (
            ["ingest", "--repo", "acme/*", "--base-url", server.base_url, "--db", str(db)],
            ["build", "--db", str(db)],
        ):
            result = run_dora(*step, cwd=db.parent, env=env)
            if result.returncode != 0 or LOCKED.search(result.stderr):
                figures.failed_steps.append(f"{step[0]}: {result.stderr[-2000:]}")
        figures.iterations += 1


def _snapshot_end(db: Path) -> date:
    snapshot = db.with_name(f"{db.stem}.published.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        (as_of,) = con.execute("select as_of from snapshot_info").fetchone()
    return as_of.date()


def _load_every_page(page, url: str, figures: Figures) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for path, title in browser.PAGES.items():
        page.goto(f"{url}/{path}", wait_until="domcontentloaded")  # no filters: the latest data
        try:
            browser.wait_rendered(page, title, timeout_ms=RENDER_TIMEOUT_MS)
        except PlaywrightTimeout:
            text = page.locator("[data-testid='stMain']").inner_text(timeout=5_000)[:300]
            figures.errors.append(f"{path or 'overview'}: not rendered in time: {text!r}")
            continue
        figures.page_loads += 1
        for box in page.locator(ERRORS).all():
            figures.errors.append(f"{path or 'overview'}: {box.inner_text()[:300]}")
        for box in page.locator(WARNINGS).all():
            if "snapshot" in box.inner_text().lower():
                figures.errors.append(f"{path or 'overview'}: {box.inner_text()[:300]}")
        caption = page.locator("[data-testid='stCaptionContainer']", has_text="–").first
        found = CAPTION_END.search(caption.inner_text()) if caption.count() else None
        if found:
            figures.ends_seen.append(datetime.strptime(found.group(1), "%d %b %Y").date())


def run_dashboard_loop(root: Path, prefect: PrefectServer, iterations: int) -> Figures:
    """Publish once, serve the dashboard, then loop the pipeline while chromium reloads pages."""
    org = generate_organisation(seed=7, scale="tiny", days=14, end=date(2026, 11, 20))
    db = root / "dora.duckdb"
    config = root / "dora.toml"  # ./dora.toml of every command below: a loopback needs no pacing
    config.write_text("[github]\nseconds_between_requests = 0\n")
    settings = load_settings(config)
    env = base_env(prefect, root / "prefect", GITHUB_TOKEN=TOKEN)
    figures = Figures()
    started = time.monotonic()
    with SimulatorServer(org) as server:
        # the first publish in-process (the code the flows run); the loop uses the real commands
        first = IngestRun(settings, db, TOKEN, base_url=server.base_url)
        try:
            first.sync_all(["acme/*"])
        finally:
            first.close()
        build_and_publish(db, settings)
        first_end = _snapshot_end(db)
        with browser.dashboard_server(db) as url, browser.chromium_page() as page:
            page.on("pageerror", lambda exc: figures.errors.append(f"page error: {exc}"))
            _load_every_page(page, url, figures)
            assert figures.ends_seen and set(figures.ends_seen) == {first_end}
            stop = threading.Event()
            loop = threading.Thread(
                target=_pipeline_loop, args=(server, db, env, iterations, figures, stop)
            )
            loop.start()
            try:
                while loop.is_alive():
                    _load_every_page(page, url, figures)
            finally:
                stop.set()  # a failed page load: let the running command finish, start no other
                loop.join()
            # the last publish, on the same dashboard process: no restart
            figures.ends_seen.clear()
            _load_every_page(page, url, figures)
    figures.seconds = time.monotonic() - started
    last_end = _snapshot_end(db)
    print(
        f"dashboard under ingest/build: {figures.iterations} iterations, "
        f"{figures.page_loads} page loads, {len(figures.errors)} errors, "
        f"{len(figures.failed_steps)} failed steps, data end {first_end} -> {last_end}, "
        f"{figures.seconds:.0f} s"
    )
    assert figures.failed_steps == [], figures.failed_steps[:3]
    assert figures.errors == [], figures.errors[:5]
    assert figures.iterations == iterations
    assert last_end > first_end, "the loop must change the data the pages show"
    assert set(figures.ends_seen) == {last_end}, figures.ends_seen
    return figures


def test_dashboard_answers_every_page_while_ingest_and_build_loop(tmp_path, prefect_server):
    # one iteration keeps `make test` near a minute; `make soak` runs the long loop
    figures = run_dashboard_loop(tmp_path, prefect_server, iterations=1)
    assert figures.page_loads > 2 * len(browser.PAGES)


@pytest.mark.slow
def test_soak_dashboard_under_a_long_ingest_and_build_loop(tmp_path, prefect_server):
    figures = run_dashboard_loop(tmp_path, prefect_server, iterations=12)
    assert figures.page_loads > 12 * len(browser.PAGES)
