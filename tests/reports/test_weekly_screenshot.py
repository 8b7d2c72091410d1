"""The HTML preview in a real headless chromium: GitHub text shows as text, nothing runs."""

from __future__ import annotations

from pathlib import Path

from snapshot_fixture import EVIL_TITLE, SCRIPT

from reports.weekly import build_report, write_preview
from settings.config import EmailSettings

SCREENSHOT = Path(__file__).resolve().parents[2] / "data" / "screenshots" / "weekly-email.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_email_html_renders_in_chromium_with_github_text_as_text(snapshot_db, chromium):
    from playwright.sync_api import sync_playwright

    report = build_report(snapshot_db, EmailSettings(dashboard_url="http://localhost:8501"))
    _, page_path = write_preview(report, snapshot_db.parent / "reports")
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(page_path.as_uri())
            body = page.inner_text("body")
            assert page.locator("script").count() == 0
            chart_width = page.eval_on_selector("img", "img => img.naturalWidth")
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert dialogs == []  # alert(1) never ran
    assert SCRIPT in body and EVIL_TITLE in body  # shown as the text it is
    assert "Per service and environment" in body and "Open the dashboard" in body
    assert chart_width > 0  # the inline chart decoded
    assert SCREENSHOT.stat().st_size > 10_000
