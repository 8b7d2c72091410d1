"""Dashboard speed in a real browser on an organisation-sized snapshot.

Per page: time to first complete render when opened from the sidebar (script run finished, no
skeletons, every chart drew its svg/canvas; the page's queries are not cached yet), the time for
a full reload of that page in a new session, and the time to re-render after changing a filter
(granularity week <-> month, new queries each time the first round). Targets: 2 s and 0.5 s.

    .venv/bin/python bench/bench_dashboard.py [--repos 50] [--days 730]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dashboard"))

from dashboard_browser import PAGES, chromium_page, dashboard_server, wait_rendered  # noqa: E402
from snapshot_factory import build_large  # noqa: E402

FIRST_RENDER_TARGET, FILTER_TARGET = 2.0, 0.5


def _render(page, url: str, title: str) -> float:
    started = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    wait_rendered(page, title, timeout_ms=120_000)
    return time.perf_counter() - started


def _navigate(page, title: str) -> float:
    """Open a page from the sidebar, as a user does after the first load (no new session)."""
    link = page.locator("[data-testid='stSidebarNavLink']").filter(has_text=title).first
    started = time.perf_counter()
    link.click()
    wait_rendered(page, title, timeout_ms=120_000)
    return time.perf_counter() - started


def _change_grain(page, title: str) -> float:
    current = "month" if "grain=month" in page.url else "week"
    other = "week" if current == "month" else "month"
    page.locator("[data-testid='stSelectbox']").filter(has_text="Granularity").click()
    option = page.get_by_role("option", name=other, exact=True)
    started = time.perf_counter()
    option.click()
    # The URL is rewritten by the new script run, so it marks that the rerun has begun.
    page.wait_for_function("(g) => location.search.includes('grain=' + g)", arg=other)
    wait_rendered(page, title, timeout_ms=120_000)
    return time.perf_counter() - started


def _script_times(snapshot: Path, pages: list[str]) -> dict[str, tuple[float, float]]:
    """Server-side time of each page's script (AppTest, no browser): cold cache, then warm."""
    import os

    from streamlit.testing.v1 import AppTest

    from dashboard import SNAPSHOT_ENV

    os.environ[SNAPSHOT_ENV] = str(snapshot)
    app = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300).run()
    times = {}
    for path, title in PAGES.items():
        if title not in pages:
            continue
        started = time.perf_counter()
        app.switch_page(f"views/{path or 'overview'}.py").run()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        app.run()
        times[title] = (cold, time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--filter-changes", type=int, default=3)
    parser.add_argument("--pages", nargs="*", help="page titles to time (default: all)")
    args = parser.parse_args()

    folder = ROOT / "data" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"dashboard-{args.repos}x{args.days}.duckdb"
    snapshot = db.with_name(f"{db.stem}.published.duckdb")
    if not snapshot.exists():
        started = time.perf_counter()
        build_large(snapshot, repo_count=args.repos, days=args.days)
        print(f"built {snapshot.name} in {time.perf_counter() - started:.1f} s")
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        sizes = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("deployments", "changes", "incidents", "workflow_runs_weekly")}  # fmt: skip
    print("snapshot rows:", ", ".join(f"{t} {n:,}" for t, n in sizes.items()))

    titles = [t for t in PAGES.values() if not args.pages or t in args.pages]
    scripts = _script_times(snapshot, titles)
    rows = []
    with dashboard_server(db) as url, chromium_page() as page:
        load_cold = _render(page, url, "Overview")  # includes the server's first imports
        load_warm = _render(page, url, "Overview")
        for path, title in PAGES.items():
            if args.pages and title not in args.pages:
                continue
            # Overview is open already; the other pages are reached from the sidebar.
            first = _navigate(page, title) if path else load_warm
            changes = [_change_grain(page, title) for _ in range(args.filter_changes)]
            again = _render(page, f"{url}/{path}", title)
            rows.append((title, first, again, statistics.median(changes), max(changes)))

    print()
    print(f"initial page load (new browser session, whole Streamlit client): cold {load_cold:.2f} s, warm {load_warm:.2f} s")  # fmt: skip
    print(f"{'page':<16}{'first render':>14}{'reload':>9}{'filter p50':>12}{'filter max':>12}{'script cold':>13}{'warm':>8}")  # fmt: skip
    for title, first, again, median, worst in rows:
        cold, warm = scripts[title]
        print(f"{title:<16}{first:>12.2f} s{again:>7.2f} s{median:>10.2f} s{worst:>10.2f} s{cold:>11.2f} s{warm:>6.2f} s")  # fmt: skip
    print("(script = the page's Python run alone under AppTest, no browser; the rest is Streamlit's client)")  # fmt: skip
    slow_first = [r[0] for r in rows if r[1] > FIRST_RENDER_TARGET]
    slow_filter = [r[0] for r in rows if r[3] > FILTER_TARGET]
    print(f"\ntargets: first render <= {FIRST_RENDER_TARGET} s (over: {', '.join(slow_first) or 'none'}); "
          f"filter change <= {FILTER_TARGET} s (over: {', '.join(slow_filter) or 'none'})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
