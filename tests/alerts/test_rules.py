"""What a build raises without a previous snapshot: open change failures and stale syncs only."""

from __future__ import annotations

from datetime import timedelta

from alerts.rules import raise_alerts
from settings.config import Settings
from tests.models.model_scenario import Scenario, at


def test_a_first_build_raises_open_failures_and_stale_syncs_but_no_comparisons(tmp_path):
    scenario = Scenario(tmp_path / "work.duckdb")
    scenario.chain(["a", "b", "c"])
    scenario.ok(1, "a", at(0))
    scenario.ok(2, "b", at(1))
    scenario.failed(3, "c", at(2))  # not restored: no healthy deployment after it
    scenario.ok(4, "c", at(3), environment="staging")
    scenario.add("sync_state", stream="commits", synced_at=at(40))
    scenario.add("sync_state", stream="deployments", synced_at=at(52))
    settings = Settings.model_validate(
        {
            "teams": [{"name": "API", "repos": ["acme/api"]}],
            "alerts": {"open_failure_hours": 24, "sync_stale_hours": 6},
        }  # fmt: skip
    )
    scenario.build(settings, as_of=at(30))  # the failure started 28 h before as_of
    alerts = raise_alerts(scenario.con, None, settings, now=at(48))
    by_kind = {alert.kind: alert for alert in alerts}
    assert set(by_kind) == {"open_failure", "sync_stale"}
    failure = by_kind["open_failure"]
    assert failure.key == "open_failure/acme/api/deployments_api/3"
    assert failure.severity == "critical" and failure.teams == ("API",)
    assert failure.title.startswith("acme/api · api: production change failure open for ")
    stale = by_kind["sync_stale"]  # the older stream decides: synced 8 h before `now`
    assert stale.title == "acme/api: not synced for 8 h" and stale.teams == ("API",)
    # under the thresholds: nothing
    calm = Settings.model_validate({"alerts": {"open_failure_hours": 24 * 30, "sync_stale_hours": 24}})  # fmt: skip
    assert raise_alerts(scenario.con, None, calm, now=at(48)) == []
    # a missing previous snapshot file is a first build too
    assert {a.kind for a in raise_alerts(scenario.con, tmp_path / "none.duckdb", settings, at(48) + timedelta(0))} == {"open_failure", "sync_stale"}  # fmt: skip
    scenario.con.close()
