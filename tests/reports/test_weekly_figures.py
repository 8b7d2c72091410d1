"""The week's figures come from the snapshot's marts, untouched, for the right week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest
from snapshot_fixture import AS_OF, REPORT_WEEK, SCRIPT

from models.publish import snapshot_path
from reports.figures import default_week, gather_week
from reports.snapshot import SnapshotMissingError


def test_default_week_is_the_last_complete_week_before_the_latest_data(snapshot_db):
    # as_of is Wednesday 25 Nov 2026: the week of 23 Nov is not over, so the week of 16 Nov
    assert default_week(snapshot_db) == REPORT_WEEK


def test_a_missing_snapshot_says_how_to_make_one(tmp_path):
    with pytest.raises(SnapshotMissingError, match="dora build"):
        gather_week(tmp_path / "dora.duckdb", REPORT_WEEK)


def test_weeks_start_on_monday(snapshot_db):
    with pytest.raises(ValueError, match="Monday"):
        gather_week(snapshot_db, date(2026, 11, 17))


def test_scope_trends_equal_the_dora_weekly_rows(snapshot_db):
    figures = gather_week(snapshot_db, REPORT_WEEK)
    with duckdb.connect(str(snapshot_path(snapshot_db)), read_only=True) as con:
        mart = {
            (r[0], r[1], r[2], r[3]): r[4:]
            for r in con.execute(
                "select repo, service, environment, week_start, deployments, deploy_days, "
                "change_failures, change_fail_rate, lead_time_p50_seconds, lead_time_p90_seconds, "
                "recovery_p50_seconds, rework_rate from dora_weekly"
            ).fetchall()
        }
    keys = [(s.repo, s.service, s.environment) for s in figures.scopes]
    # production first, and the scope with no deployment in four weeks is left out
    assert keys == [
        ("acme/platform", "api", "production"),
        ("acme/web", "web", "production"),
        ("acme/platform", "api", "staging"),
    ]
    for scope in figures.scopes:
        assert [w.week_start for w in scope.weeks] == [
            date(2026, 10, 26),
            date(2026, 11, 2),
            date(2026, 11, 9),
            REPORT_WEEK,
        ]
        for week in scope.weeks:
            row = mart.get((scope.repo, scope.service, scope.environment, week.week_start))
            got = (
                week.deployments,
                week.deploy_days,
                week.change_failures,
                week.change_fail_rate,
                week.lead_time_p50_seconds,
                week.lead_time_p90_seconds,
                week.recovery_p50_seconds,
                week.rework_rate,
            )
            # a week without a row has no deployments and no data, never zeros for rates
            assert got == (row if row else (0, 0, 0, None, None, None, None, None))


def test_lists_hold_only_the_weeks_events(snapshot_db):
    figures = gather_week(snapshot_db, REPORT_WEEK)
    assert [f["deployment_id"] for f in figures.change_failures] == [101, 103]
    assert figures.change_failures[0]["recovery_seconds"] == 5400
    assert figures.change_failures[1]["recovery_seconds"] is None  # still open
    assert [d["deployment_id"] for d in figures.manual_deployments] == [102, 103]
    assert [c["sha"][0] for c in figures.slowest_changes] == ["d", "c", "e"]
    assert SCRIPT in figures.slowest_changes[1]["message_headline"]
    assert [p["sha"][0] for p in figures.stuck_promotions] == ["f"]
    assert figures.stuck_promotions_total == 1
    quality = figures.data_quality
    assert (quality["attempts"], quality["changes"], quality["repos"]) == (4, 3, 2)
    assert quality["left_out"]["unfinished_deployments"] == 3
    # left out of the metrics since 2026-12-01: superseded deployments, retried attempts
    assert (
        quality["left_out"]["superseded_deployments"],
        quality["left_out"]["retried_attempts"],
    ) == (1, 3)
    assert quality["history"] == {"deployment_attempts": 50, "changes": 38, "incidents": 3}


def test_the_proposed_orchestration_is_mentioned_once_with_the_steps_it_removes(snapshot_db):
    from reports.render import render_html, render_text

    figures = gather_week(snapshot_db, REPORT_WEEK)
    assert figures.orchestration == {
        "repo": "acme/platform",
        "releases": 3,
        "manual_runs_p50": 6.0,
        "with_proposal_p50": 2.0,
        "removed": 4.0,
    }
    line = (
        "Proposed orchestration: the release workflow `dora propose-pipeline --repo acme/platform` "
        "writes would remove 4 manual steps per production release (6 today, 2 with it, approvals "
        "included; median of its 3 releases in the last four weeks)."
    )
    text = render_text(figures, "https://dora.example.com")
    assert text.count("Proposed orchestration") == 1 and line in text
    html = render_html(figures, "https://dora.example.com")
    assert html.count("Proposed orchestration") == 1 and 'id="orchestration"' in html


def test_the_data_quality_line_says_how_far_back_history_reaches(snapshot_db):
    from reports.render import render_html, render_text

    figures = gather_week(snapshot_db, REPORT_WEEK)
    assert figures.data_quality["history_coverage"] == {
        "repos": 2,
        "complete": 1,
        "partial_from": datetime(2026, 10, 28),
    }
    said = (
        "History complete for 1 of 2 repositories; the others from 2026-10-28 00:00 UTC on "
        "(older history still loading)."
    )
    assert said in render_text(figures, "https://dora.example.com")
    assert said in render_html(figures, "https://dora.example.com")


def test_the_week_carries_the_snapshot_facts_and_counts_other_environments(snapshot_db):
    figures = gather_week(snapshot_db, REPORT_WEEK)
    assert (figures.week_start, figures.week_end) == (
        REPORT_WEEK,
        date(2026, 11, 23),
    )  # end excluded
    assert (figures.as_of, figures.built_at) == (AS_OF, AS_OF + timedelta(minutes=5))
    assert figures.edition == "2023"
    # previews pr-7 (2 deployments) and pr-8 (a failed attempt, 1 deployment); pr-9 had nothing
    assert figures.other_environments == {"environments": 2, "deployments": 3}


def test_without_snapshot_info_the_default_week_is_the_last_complete_one_before_today(tmp_path):
    db = tmp_path / "dora.duckdb"
    with duckdb.connect(str(snapshot_path(db))) as con:
        con.execute("create table deployments (repo varchar)")
    assert default_week(db, today=date(2026, 11, 25)) == REPORT_WEEK
    assert (
        default_week(db, today=date(2026, 11, 23)) == REPORT_WEEK
    )  # Monday: that week is not over


def test_a_week_with_nothing_stuck_says_none_and_production_comes_first(snapshot_db):
    figures = gather_week(snapshot_db, date(2026, 10, 26))
    assert (figures.stuck_promotions, figures.stuck_promotions_total) == ([], 0)
    figures = gather_week(snapshot_db, REPORT_WEEK, environments=["development", "staging", "production"])  # fmt: skip
    assert [s.environment for s in figures.scopes] == ["production", "production", "staging"]
