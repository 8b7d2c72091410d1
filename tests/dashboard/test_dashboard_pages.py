"""Every page under Streamlit's AppTest: filters, shared links, numbers worked out by hand, messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema
from snapshot_factory import EMPTY_WEEK, build_small
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from dashboard import SNAPSHOT_ENV

PAGES = [
    "views/overview.py",
    "views/teams.py",
    "views/deployments.py",
    "views/lead_time.py",
    "views/stability.py",
    "views/pipeline.py",
    "views/before_after.py",
    "views/data_quality.py",
]
VEGA_LITE_SCHEMA = load_schema()
TINY_WEEK = {"repo": "acme/tiny", "env": "production", "from": "2026-11-02", "to": "2026-11-08"}


def _open(app: AppTest, page: str | None = None, **params: str) -> AppTest:
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _metrics(app: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.proto.delta or None) for m in app.metric}


def _charts(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def _texts(app: AppTest) -> str:
    parts = [*app.markdown, *app.info, *app.warning, *app.caption, *app.success]
    return "\n".join(str(p.value) for p in parts)


def _levels(app: AppTest) -> list[str]:
    """The DORA level badges, in tile order (frequency, lead time, fail rate, recovery)."""
    return re.findall(r"DORA level: (\w+)", "\n".join(str(m.value) for m in app.markdown))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_units_and_exact_tooltips(app, page):
    _open(app, page)
    assert app.title, "each page has a title"
    assert app.get("vega_lite_chart") or app.get("graphviz_chart") or app.dataframe
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["Download CSV", "Download Parquet"] * len(app.dataframe)  # every table
    for spec in _charts(app):
        # The app skips Altair's per-rerun schema checks (dashboard/vega.py); they run here.
        validate_jsonschema(spec, VEGA_LITE_SCHEMA)
        for layer in spec.get("layer") or [spec]:
            encoding = layer.get("encoding", {})
            # Every drawn axis says its unit; a tile's sparkline draws none (axis: null).
            axes = [encoding[c] for c in ("x", "y") if c in encoding]
            if len(axes) == 2 and all(axis.get("axis", {}) is not None for axis in axes):
                assert all(axis.get("title") for axis in axes), encoding
            assert "tooltip" in encoding, layer


def test_overview_tiles_are_the_hand_worked_numbers_of_acme_tiny(app):
    # Week of 2026-11-02: 2 successful deploys + 1 failed attempt + 1 redeploy (not counted);
    # changes of 2 h, 4 h, 6 h; the failure restored after 2 h. Week before: 1 deploy, 10 h change.
    _open(app, **TINY_WEEK)
    tiles = _metrics(app)
    assert tiles["Deployment frequency"] == ("2.0 / week", "+1.0 vs prev.")
    # an ASCII minus: st.metric reads a Unicode one as a rise (red arrow up for a shorter lead time)
    assert tiles["Change lead time (median)"] == ("4.0 h", "-6.0 h vs prev.")
    assert tiles["Change fail rate"] == ("33.3%", "+33.3% vs prev.")
    assert tiles["Recovery time (median)"][0] == "2.0 h"
    assert tiles["Recovery time (median)"][1] is None  # no failure the week before
    assert tiles["Rework rate"] == ("0.0%", "no change vs prev.")
    arrows = {m.label: (m.proto.direction, m.proto.color) for m in app.metric}
    metric = MetricProto
    assert arrows["Deployment frequency"] == (metric.MetricDirection.UP, metric.MetricColor.GREEN)
    assert arrows["Change lead time (median)"] == (metric.MetricDirection.DOWN, metric.MetricColor.GREEN)  # fmt: skip
    assert arrows["Change fail rate"] == (metric.MetricDirection.UP, metric.MetricColor.RED)
    assert arrows["Rework rate"] == (metric.MetricDirection.NONE, metric.MetricColor.GRAY)
    # 2023 bands: deploy days/week 2 -> high; 4 h -> elite; 33% -> low; 2 h -> high.
    assert _levels(app) == ["high", "elite", "low", "high"]


def _chart_data(chart) -> pd.DataFrame:
    """The one dataset a chart element carries (Arrow IPC bytes, as the browser receives them)."""
    (dataset,) = chart.proto.datasets
    return pa.ipc.open_stream(dataset.data.data).read_pandas()


def test_overview_trends_sit_under_their_tiles_with_exact_values(app):
    # Two weeks of acme/tiny: the week before (1 deploy, one 10 h change) and TINY_WEEK.
    _open(app, **{**TINY_WEEK, "from": "2026-10-26"})
    labels = [m.label for m in app.metric]
    (row,) = app.get("vega_lite_chart")  # one chart for the five trends
    points = _chart_data(row)
    assert points["measure"].unique().tolist() == ["deployments", "Change lead time (median)", "Change fail rate", "Recovery time (median)", "Rework rate"]  # fmt: skip
    assert len(labels) == 5
    for slot, (_, line) in enumerate(points.groupby("slot", sort=True)):
        # Line i stays inside the i-th fifth of the width, under tile i; first week left.
        assert slot < line["x"].min() < line["x"].max() < slot + 1
        assert line.sort_values("x")["period_start"].is_monotonic_increasing
    exact = points.set_index(["measure", points["period_start"].astype(str).str[:10]])["value"]
    assert exact["deployments", "2026-10-26"] == "1" and exact["deployments", "2026-11-02"] == "2"
    assert exact["Change lead time (median)", "2026-10-26"] == "10.0 h"
    assert exact["Change lead time (median)", "2026-11-02"] == "4.0 h"
    assert exact["Change fail rate", "2026-11-02"] == "33.3%"
    assert (
        exact["Recovery time (median)", "2026-10-26"] == "no data"
    )  # a gap in the line, not a zero
    recovery = points.loc[points["measure"] == "Recovery time (median)", "y"]
    assert recovery.isna().tolist() == [True, False]
    assert recovery.dropna().tolist() == [0.5]  # a single value sits mid-height


def test_edition_filter_rebands_the_same_numbers(app):
    _open(app, edition="2021", **TINY_WEEK)
    # 2021: frequency is banded by deploy days per month, and a one-week period holds no whole
    # calendar month, so it has no frequency level (METRICS.md section 4, amended 2026-12-01);
    # lead time elite needs < 1 hour, so 4 h is high; 33% is above 30%: low; 2 h recovery
    # < 1 day: high.
    assert app.selectbox(key="filter_edition").value == "2021"
    assert _levels(app) == ["high", "low", "high"]


def test_filters_follow_the_url_and_write_it_back(app):
    _open(app, **TINY_WEEK, grain="month")
    assert app.selectbox(key="filter_repo").value == "acme/tiny"
    assert app.selectbox(key="filter_service").options == ["All", "tiny"]
    assert app.selectbox(key="filter_grain").value == "month"
    app.selectbox(key="filter_repo").select("acme/platform").run()
    assert (
        app.query_params["repo"] == ["acme/platform"] or app.query_params["repo"] == "acme/platform"
    )
    assert app.selectbox(key="filter_service").options == ["All", "api"]
    assert not app.exception


def test_filters_are_kept_when_switching_pages(app):
    _open(app, **TINY_WEEK)
    app.switch_page("views/stability.py").run()
    assert app.selectbox(key="filter_repo").value == "acme/tiny"
    assert _metrics(app)["Change fail rate"][0] == "33.3%"


def test_nonsense_in_the_url_falls_back_to_defaults(app):
    _open(
        app, repo="x'); drop table deployments; --", env="<script>", to="not-a-date", grain="year"
    )
    assert app.selectbox(key="filter_repo").value == "All"
    assert app.selectbox(key="filter_environment").value == "production"
    assert app.selectbox(key="filter_grain").value == "week"


@pytest.mark.parametrize("page", PAGES)
def test_repo_without_deployments_gets_a_message_not_a_traceback(app, page):
    _open(app, page, repo="acme/empty")
    if page in ("views/overview.py", "views/deployments.py"):
        assert "no deployments" in _texts(app).lower()


@pytest.mark.parametrize("page", PAGES)
def test_missing_snapshot_says_how_to_build_one(app, page, tmp_path, monkeypatch):
    monkeypatch.setenv(SNAPSHOT_ENV, str(tmp_path / "nowhere.published.duckdb"))
    _open(app, page)
    warning = " ".join(w.value for w in app.warning)
    assert "No published snapshot" in warning and "dora build" in warning


def test_empty_week_shows_zero_deployments_and_no_rates(snapshot_env):
    from dashboard import data
    from dashboard.scope import Scope

    trend = data.trend(Scope(None, None, "production", EMPTY_WEEK.replace(day=1), EMPTY_WEEK.replace(day=25)))  # fmt: skip
    week = trend[trend["period_start"].astype(str).str[:10] == EMPTY_WEEK.isoformat()].iloc[0]
    assert week["deployments"] == 0
    assert week["change_fail_rate"] != week["change_fail_rate"]  # NaN: no data, not 0%
    assert week["lead_time_p50_seconds"] != week["lead_time_p50_seconds"]


def test_deployment_drill_down_lists_commits_and_pull_requests(app):
    _open(app, "views/deployments.py", **TINY_WEEK)
    picker = app.selectbox(key="drill_deployment")
    tiny = next(option for option in picker.options if "bbbbbbb" in option)
    assert re.fullmatch(r"2026-11-0\d \d\d:\d\d · acme/tiny · production · \w[\w ]* · bbbbbbb · #\d+", tiny), tiny  # fmt: skip
    picker.select(tiny).run()
    shipped = app.dataframe[-1].value
    assert sorted(shipped["pr_number"].tolist()) == [11, 12]
    assert "https://github.com/acme/tiny/pull/11" in shipped["pr_url"].tolist()
    assert 'Fix "quotes" & <b>tags</b>' in shipped["pr_title"].tolist()  # shown as text, verbatim
    attempts = app.dataframe[0].value
    assert set(attempts["kind"]) == {"success", "failed deploy", "redeploy"}
    assert attempts["run_url"].str.startswith("https://github.com/acme/tiny/actions/runs/").all()


def test_stability_lists_each_failure_with_reason_and_restoration(app):
    _open(app, "views/stability.py", **TINY_WEEK)
    failures = app.dataframe[0].value
    assert failures[
        ["deployment_id", "failure_reasons", "status", "restored_by"]
    ].values.tolist() == [[9002, "deploy_failed", "restored", 9003]]
    assert failures["recovery_hours"].tolist() == [2.0]


def test_incidents_attributed_and_not_are_both_listed(app):
    _open(app, "views/stability.py", repo="acme/web", **{"from": "2026-08-24", "to": "2026-11-20"})
    incidents = app.dataframe[-1].value
    assert {"attributed", "unattributed"} <= set(incidents["attribution"])
    assert "<script>alert('pwned')</script> checkout down" in incidents["title"].tolist()


def test_lead_time_page_shows_distribution_trend_stages_and_slowest(app):
    _open(app, "views/lead_time.py", **TINY_WEEK)
    assert _metrics(app)["Median lead time"][0] == "4.0 h"
    marks = [spec.get("mark", {}).get("type") for spec in _charts(app)]
    assert marks.count("bar") == 2 and "line" in marks
    slowest = app.dataframe[0].value
    assert slowest["lead_time_hours"].tolist() == [6.0, 4.0, 2.0]


def test_pipeline_graph_marks_manual_only_and_environments(app):
    _open(app, "views/pipeline.py", repo="acme/web")
    dot = app.get("graphviz_chart")[0].proto.spec
    assert "manual only" in dot and "shape=ellipse" in dot
    assert 'Deploy \\"web\\" <script>alert(1)</script>' in dot  # escaped into a DOT string
    health = app.dataframe[0].value
    assert {"runs", "success_rate", "duration_p50_seconds", "queue_p50_seconds"} <= set(
        health.columns
    )


def test_pipeline_orchestration_shows_today_the_proposal_and_the_change(app):
    _open(app, "views/pipeline.py", repo="acme/web", **{"from": "2026-11-01", "to": "2026-11-20"})
    metrics = _metrics(app)
    # acme/web's releases: 3, 4 and 6 manual triggers today; 1, 1 and 2 with the proposal
    assert metrics["Manual triggers per release, today"] == ("4", None)
    assert metrics["With the proposal"] == ("1", "-3")
    assert metrics["Approvals per release"] == ("2", None)  # the gate, then its own job
    assert "3 production releases in the period" in _texts(app)
    today, proposed = [chart.proto.spec for chart in app.get("graphviz_chart")][1:]
    assert "release.yml" in today and "manual only" in today
    assert '"approve-production" -> "release"' in proposed and "shape=diamond" in proposed
    code = [block.value for block in app.code]
    assert code[1].splitlines()[3] == "name: Release orchestrator"
    assert "Edges (why each `needs:` is there" in code[0]


def test_pipeline_orchestration_of_every_repo_is_a_table(app):
    _open(app, "views/pipeline.py")
    frames = [frame.value for frame in app.dataframe]
    table = next(f for f in frames if "with_proposal_p50" in f.columns)
    assert table["repo"].tolist() == ["acme/empty", "acme/platform", "acme/tiny", "acme/web"]
    assert table.set_index("repo").loc["acme/web", "manual_runs_p50"] == 4


def test_data_quality_says_how_far_back_each_repositorys_history_reaches(app):
    _open(app, "views/data_quality.py")
    frames = [frame.value for frame in app.dataframe]
    history = next(f for f in frames if "history_state" in f.columns).set_index("repo")
    assert history.loc["acme/web", "history_state"] == "deepening"
    assert str(history.loc["acme/web", "history_from"])[:10] == "2026-10-23"
    assert history.loc["acme/web", "days_of_history"] == 28  # to 2026-11-20
    assert set(history.drop(index="acme/web")["history_state"]) == {"complete"}
    assert "How far back each repository's ingested history reaches" in _texts(app)


def test_before_after_compares_two_periods_around_the_date_in_the_link(app):
    period = {"from": "2026-10-26", "to": "2026-11-08"}  # its middle would be 2026-11-02
    _open(app, "views/before_after.py", repo="acme/tiny", env="production", **period, pivot="2026-11-03")  # fmt: skip
    sides = app.dataframe[0].value
    # Before: deploys on 10-27 and 11-02, changes of 10 h, 2 h, 4 h. After: the failed attempt
    # on 11-03 and its fix (6 h change); the redeploy of 11-04 counts nowhere.
    assert sides["period"].tolist() == ["before", "after"]
    assert sides["deployments"].tolist() == [2, 1]
    assert sides["lead_time_p50_hours"].tolist() == [4.0, 6.0]
    assert sides["change_fail_rate"].tolist() == [0.0, 0.5]
    assert app.query_params["pivot"] in ("2026-11-03", ["2026-11-03"])


def _open_files(path: Path) -> list[str]:
    """Files this process holds open whose path starts with `path` (Linux /proc)."""
    fds = Path("/proc/self/fd")
    links = []
    for fd in fds.iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue
    return [link for link in links if link.startswith(str(path))]


PUBLISH = """
import os, sys, duckdb
staging, live = sys.argv[1:]
with duckdb.connect(staging) as con:
    con.execute("delete from deployments where deployment_id = 9003")
os.replace(staging, live)
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
def test_a_publish_by_another_process_shows_without_restart_and_frees_the_old_file(app, tmp_path, monkeypatch):  # fmt: skip
    live = tmp_path / "dora.published.duckdb"
    build_small(live)
    monkeypatch.setenv(SNAPSHOT_ENV, str(live))
    _open(app, **TINY_WEEK)
    assert _metrics(app)["Deployment frequency"][0] == "2.0 / week"
    assert _open_files(live), "the app keeps one reader open on the snapshot"
    # `dora build` publishes from another process: write a side file, then os.replace it onto
    # the snapshot path. The open reader must not block it (build_small makes the side file).
    staging = tmp_path / "dora.published.duckdb.next"
    build_small(staging)
    subprocess.run([sys.executable, "-c", PUBLISH, str(staging), str(live)], check=True, timeout=60)
    app.run()
    assert _metrics(app)["Deployment frequency"][0] == "1.0 / week"
    # The replaced file's reader was closed: only the new snapshot is open.
    assert all(not link.endswith("(deleted)") for link in _open_files(live)), _open_files(live)


def test_team_filter_narrows_the_choices_and_the_numbers_and_stays_in_the_url(app):
    # Core owns acme/platform and acme/tiny; the web team acme/web and acme/tiny (shared).
    _open(app, team="Core", env="production", **{"from": "2026-11-02", "to": "2026-11-08"})
    assert app.selectbox(key="filter_team").value == "Core"
    assert app.selectbox(key="filter_repo").options == ["All", "acme/platform", "acme/tiny"]
    assert app.query_params["team"] in (["Core"], "Core")
    core = float(_metrics(app)["Deployment frequency"][0].split()[0])
    app.selectbox(key="filter_repo").select("acme/tiny").run()
    tiny = _metrics(app)["Deployment frequency"][0]
    assert tiny == "2.0 / week"  # acme/tiny alone, as worked out above
    assert core >= 2
    app.selectbox(key="filter_team").select('Web <i>"front"</i>').run()
    assert app.selectbox(key="filter_repo").options == ["All", "acme/tiny", "acme/web"]
    assert "Goals" in [h.value for h in app.subheader]


def test_teams_page_puts_every_team_and_the_organisation_side_by_side(app):
    _open(app, "views/teams.py", env="production", **{"from": "2026-11-02", "to": "2026-11-08"})
    assert not app.exception
    side_by_side = app.dataframe[0].value
    assert side_by_side["team"].tolist() == ["Core", 'Web <i>"front"</i>', "Organisation"]
    counted = dict(zip(side_by_side["team"], side_by_side["counted deployments"], strict=True))
    # acme/tiny (3 counted that week) counts for both teams and once for the organisation
    assert counted["Core"] + counted['Web <i>"front"</i>'] == counted["Organisation"] + 3
    assert len(app.get("vega_lite_chart")) == 5  # one trend per metric, a line per team
