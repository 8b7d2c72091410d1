"""Hostile input reaches the dashboard as data: URL filter values and GitHub-sourced strings.

Values with quotes, semicolons and SQL keywords in the query string are ignored (the filter falls
back to its default), never run; hostile commit/issue/workflow text is shown as text, escaped,
in the dashboard, the weekly email and the CSV export.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import SNAPSHOT_ENV
from tests.reliability.harness import DASH_POISON, POISON, PipelineRun, base_env, run_dora

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PAGES = [
    "views/overview.py",
    "views/deployments.py",
    "views/lead_time.py",
    "views/stability.py",
    "views/pipeline.py",
    "views/before_after.py",
    "views/data_quality.py",
]
# What a spreadsheet runs as a formula (OWASP's CSV injection list), written out here, not
# imported from the code under test.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = "acme/web'; drop table deployments; --"
HOSTILE_PARAMS = {
    "repo": HOSTILE,
    "service": 'x" or 1=1 --',
    "env": "production' union select * from snapshot_info --",
    "from": "2026-01-01'; delete from changes; --",
    "to": "'; attach 'x.duckdb' as x; --",
    "grain": "week; select 1",
    "edition": "2023' or '1'='1",
    "pivot": "2026-11-01'); drop table incidents; --",
}


@pytest.fixture
def app(pipeline: PipelineRun, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(SNAPSHOT_ENV, str(pipeline.snapshot))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield AppTest.from_file(str(APP), default_timeout=90)
    st.cache_data.clear()
    st.cache_resource.clear()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _html_markdown(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown if m.proto.allow_html]


@pytest.mark.parametrize("page", PAGES)
def test_hostile_filter_values_in_the_url_are_ignored_not_run(app, pipeline, page):
    before = _digest(pipeline.snapshot)
    for key, value in HOSTILE_PARAMS.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.selectbox(key="filter_repo").value == "All"
    assert app.selectbox(key="filter_grain").value == "week"
    assert _digest(pipeline.snapshot) == before
    # The URL now says what is shown, not what was injected.
    assert app.query_params["repo"] in (["All"], "All")


@pytest.mark.parametrize("page", ["views/lead_time.py", "views/stability.py", "views/pipeline.py"])
def test_hostile_github_text_is_shown_as_text(app, page):
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    for markup in _html_markdown(app):
        assert "<script>" not in markup, markup
    shown = [frame.value for frame in app.dataframe]
    graphs = [g.proto.spec for g in app.get("graphviz_chart")]
    if page == "views/pipeline.py":
        assert graphs, "the dependency graph is drawn"
        assert any("drop table deployments" in dot for dot in graphs), graphs
        for dot in graphs:
            # Every double quote of the hostile name is escaped: the label cannot end early.
            for hit in re.finditer(re.escape("; drop table deployments"), dot):
                assert dot[hit.start() - 2 : hit.start()] == '\\"', dot[
                    hit.start() - 40 : hit.end()
                ]
            assert "<script>" not in dot or "label=<" not in dot
    else:
        cells = {str(cell) for frame in shown for cell in frame.to_numpy().ravel()}
        # the planted string, verbatim: commit headlines are exactly it, titles start with it
        assert any(cell.startswith(POISON) for cell in cells), "the hostile text is shown as text"


def test_the_email_escapes_hostile_github_text(pipeline: PipelineRun):
    # Both weeks list their slowest changes to production, each headline being the planted
    # string: shown as text, never as markup.
    env = base_env(pipeline.prefect, pipeline.client_home)
    result = run_dora("report", "--db", str(pipeline.db), "--week", "2026-11-16", cwd=pipeline.root, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    reports = pipeline.db.parent / "reports"
    assert sorted(p.name for p in reports.glob("*.html")) == ["2026-11-09.html", "2026-11-16.html"]
    for week in ("2026-11-09", "2026-11-16"):
        page = (reports / f"{week}.html").read_text(encoding="utf-8")
        assert "<script>" not in page, week
        assert html.escape(POISON) in page, week  # shown, as text


def _text_columns(snapshot: Path) -> dict[str, set[str]]:
    """Each snapshot table's VARCHAR columns (numbers such as -3600 are no formulas)."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'main' and not internal and data_type = 'VARCHAR'"
        ).fetchall()
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'main'")
        columns: dict[str, set[str]] = {name: set() for (name,) in tables.fetchall()}
    for table, column in rows:
        columns[table].add(column)
    return columns


def _csv_columns(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [row[name] for row in rows] for name in (rows[0] if rows else {})}


def test_the_csv_export_neutralises_formulas(pipeline: PipelineRun):
    text_columns = _text_columns(pipeline.snapshot)
    files = {p.stem: p for p in (pipeline.root / "export-csv").glob("*.csv")}
    assert sorted(files) == sorted(text_columns)  # one file per snapshot table, none missing
    for table, path in files.items():
        for column, cells in _csv_columns(path).items():
            if column in text_columns[table]:
                assert not [c for c in cells if c.startswith(FORMULA_STARTS)], (table, column)
    changes, deployments = _csv_columns(files["changes"]), _csv_columns(files["deployments"])
    # every commit message starts with the planted line; every Deployments API description is
    # the "-" formula (a deploy-rule run's description is its title, which starts with POISON)
    assert set(changes["message_headline"]) == {"'" + POISON}
    by_source = {source: set() for source in deployments["source"]}
    for source, description in zip(deployments["source"], deployments["description"], strict=True):
        by_source[source].add(description)
    assert by_source.pop("deployments_api") == {"'" + DASH_POISON}
    assert all(d.startswith("'" + POISON) for d in by_source.pop("workflow_run", set()))
