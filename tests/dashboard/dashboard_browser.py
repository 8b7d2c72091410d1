"""Drive the running dashboard in Debian's chromium through Playwright (browser test and bench)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
# url path -> page title (st.Page derives the path from the file name; the default page is "/")
PAGES = {
    "": "Overview",
    "teams": "Teams",
    "deployments": "Deployments",
    "lead_time": "Lead time",
    "stability": "Stability",
    "pipeline": "Pipeline",
    "before_after": "Before / after",
    "data_quality": "Data quality",
}
# Pages whose content is charts; Data quality is tables and tiles only.
CHARTED = {"", "teams", "deployments", "lead_time", "stability", "pipeline", "before_after"}
SCREENSHOTS = ROOT / "data" / "screenshots"
CHARTS = "[data-testid='stVegaLiteChart'], [data-testid='stGraphVizChart']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dashboard_server(db: Path, timeout: float = 60) -> Iterator[str]:
    """Run `dora dashboard --db DB` on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    dora = Path(sys.executable).with_name("dora")
    process = subprocess.Popen(
        [str(dora), "dashboard", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not start: {process.stderr.read().decode()[-2000:]}")  # fmt: skip
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    """A headless chromium page (Debian's binary: `playwright install` cannot download here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def wait_rendered(page, title: str, timeout_ms: float = 30_000) -> None:
    """Wait until the page's title shows, the script run finished, and every chart drew."""
    page.locator("h1", has_text=title).first.wait_for(timeout=timeout_ms)
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    # Streamlit draws a skeleton while an element's code chunk loads; charts draw after that.
    page.wait_for_function(
        """(sel) => {
            if (document.querySelector("[data-testid='stSkeleton']")) return false;
            const charts = [...document.querySelectorAll(sel)];
            return charts.every(c => c.querySelector('svg, canvas'));
        }""",
        arg=CHARTS,
        timeout=timeout_ms,
    )


def full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its main pane, so grow the viewport to the content, then shoot."""
    height = page.evaluate(
        "() => Math.max(document.querySelector(\"[data-testid='stMain']\")?.scrollHeight || 0,"
        " document.querySelector(\"[data-testid='stSidebarContent']\")?.scrollHeight || 0)"
    )
    size = page.viewport_size
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], int(height) + 40)}
    )
    page.wait_for_timeout(300)  # let charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def chart_report(page) -> tuple[int, int]:
    """(charts on the page, charts with an svg or canvas inside)."""
    return page.evaluate(
        """(sel) => {
            const charts = [...document.querySelectorAll(sel)];
            return [charts.length, charts.filter(c => c.querySelector('svg, canvas')).length];
        }""",
        CHARTS,
    )


def check_every_page(db: Path, shots: Path, query: str = "") -> dict[str, tuple[int, int]]:
    """Load each page of the served dashboard, assert it rendered, save a full-page screenshot."""
    shots.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    seen = {}
    with dashboard_server(db) as url, chromium_page() as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for path, title in PAGES.items():
            page.goto(f"{url}/{path}{query}", wait_until="domcontentloaded")
            wait_rendered(page, title)
            charts, drawn = chart_report(page)
            seen[path or "overview"] = (charts, drawn)
            assert page.locator("[data-testid='stException']").count() == 0, path
            assert charts == drawn, f"{path}: {drawn} of {charts} charts drew an svg or canvas"
            if path in CHARTED:
                assert charts > 0, f"{path}: no chart on the page"
            full_page_screenshot(page, shots / f"{path or 'overview'}.png")
    assert dialogs == [], "text from GitHub must never run as script"
    return seen
