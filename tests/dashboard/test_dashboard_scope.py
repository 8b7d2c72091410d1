"""The pages' scope filters on a snapshot made for them: service and period bounds, by hand.

acme/two ships two services to production. The period 2026-11-02..2026-11-08 is
[2026-11-02 00:00, 2026-11-09 00:00): a deployment exactly at its first instant is in it, one
exactly at the first instant after it is not.

    api  1  2026-11-02 00:00  success, one change of 1 h      (first instant: in)
    api  2  2026-11-05 12:00  success, one change of 3 h
    api  3  2026-11-09 00:00  success, one change of 100 h    (first instant after: out)
    web  4  2026-11-04 10:00  success, change failure (incident), one change of 20 h
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from snapshot_factory import _change, _deployment, _write

from dashboard import SNAPSHOT_ENV, data, details
from dashboard.scope import Scope

REPO = "acme/two"
START, END = date(2026, 11, 2), date(2026, 11, 8)
HOUR = 3600.0


def _rows() -> tuple[list[dict], list[dict]]:
    plan = [
        ("api", 1, datetime(2026, 11, 2, 0, 0), 1, False),
        ("api", 2, datetime(2026, 11, 5, 12, 0), 3, False),
        ("api", 3, datetime(2026, 11, 9, 0, 0), 100, False),
        ("web", 4, datetime(2026, 11, 4, 10, 0), 20, True),
    ]
    deployments, changes = [], []
    for service, deployment_id, deployed_at, lead_hours, failed in plan:
        row = _deployment(
            REPO, service, "production", deployment_id, sha=f"{deployment_id:040x}",
            created_at=deployed_at - timedelta(minutes=5), deployed_at=deployed_at,
            change_count=1, lead_time_p50_seconds=lead_hours * HOUR, is_change_failure=failed,
            failure_reasons="incident" if failed else "",
            recovery_seconds=2 * HOUR if failed else None,
        )  # fmt: skip
        deployments.append(row)
        change_sha = f"{deployment_id:039x}f"
        lead = lead_hours * HOUR
        changes.append(_change(REPO, service, "production", row, change_sha, lead, None, service))
    return deployments, changes


@pytest.fixture(scope="module")
def two_services(tmp_path_factory: pytest.TempPathFactory):
    deployments, changes = _rows()
    path = tmp_path_factory.mktemp("scope") / "dora.published.duckdb"
    return _write(path, [REPO], deployments, changes, [], 14, random.Random(1))


@pytest.fixture
def snapshot(two_services, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(SNAPSHOT_ENV, str(two_services))


def _scope(service: str | None) -> Scope:
    return Scope(REPO, service, "production", START, END)


def test_one_service_counts_only_its_own_deployments_and_changes(snapshot):
    (row,) = data.period_summary(_scope("api")).to_dict("records")
    assert (row["deployments"], row["counted_deployments"], row["change_failures"]) == (2, 2, 0)
    assert row["change_fail_rate"] == 0.0
    assert (row["changes"], row["lead_time_p50_seconds"]) == (2, 2 * HOUR)  # median of 1 h, 3 h
    assert pd.isna(row["recovery_p50_seconds"])
    web = data.period_summary(_scope("web")).iloc[0]
    assert (web["deployments"], web["change_failures"], web["lead_time_p50_seconds"]) == (1, 1, 20 * HOUR)  # fmt: skip


def test_every_service_together(snapshot):
    (row,) = data.period_summary(_scope(None)).to_dict("records")
    assert (row["deployments"], row["change_failures"], row["changes"]) == (3, 1, 3)
    assert row["change_fail_rate"] == pytest.approx(1 / 3)
    assert row["lead_time_p50_seconds"] == 3 * HOUR  # 1 h, 3 h, 20 h
    assert row["recovery_p50_seconds"] == 2 * HOUR
    assert row["deploy_days"] == 3  # 11-02, 11-04, 11-05


def test_the_period_includes_its_first_instant_and_excludes_the_next_periods(snapshot):
    (week,) = data.trend(_scope("api")).to_dict("records")
    assert week["period_start"] == pd.Timestamp("2026-11-02")
    assert (week["deployments"], week["changes"], week["lead_time_p50_seconds"]) == (2, 2, 2 * HOUR)  # fmt: skip
    # The deployment at 11-09 00:00 belongs to the next week, and only to it.
    following = data.period_summary(_scope("api").between(date(2026, 11, 9), date(2026, 11, 15)))
    assert following[["deployments", "changes"]].values.tolist() == [[1, 1]]
    assert following["lead_time_p50_seconds"].tolist() == [100 * HOUR]


def test_drill_downs_list_exactly_the_scope(snapshot):
    listed = details.deployment_list(_scope("api"))
    assert sorted(listed["deployment_id"]) == [1, 2]
    assert sorted(details.deployment_list(_scope(None))["deployment_id"]) == [1, 2, 4]
    assert details.slowest_changes(_scope("api"))["lead_time_hours"].tolist() == [3.0, 1.0]
    assert details.change_failures(_scope("api")).empty
    assert details.change_failures(_scope("web"))["deployment_id"].tolist() == [4]
    timeline = details.timeline(_scope("api"))
    assert timeline["day"].astype(str).tolist() == ["2026-11-02", "2026-11-05"]


def test_a_metric_without_data_gets_no_level_never_the_best(snapshot):
    summary = pd.Series(
        {
            "deploy_days": 3,
            "deploy_days_per_week_p50": 3.0,
            "deploy_days_per_month_p50": 3.0,
            "lead_time_p50_seconds": float("nan"),  # no changes
            "change_fail_rate": 0.0,
            "recovery_p50_seconds": None,  # no failures
        }
    )
    assert data.levels(summary, "2023") == {"deployment_frequency": "high", "change_fail_rate": "elite"}  # fmt: skip
