"""history_coverage: how far back each repository's ingested history reaches (ingest.history)."""

import json
from datetime import datetime

from model_scenario import at


def history(scenario, repo: str, reached, target: str, horizon: str) -> None:
    scenario.add(
        "sync_state",
        repo=repo,
        stream="history",
        cursor_at=reached,
        details=json.dumps({"target": target, "horizon": horizon}),
        synced_at=at(1),
    )


def test_each_repository_says_how_far_back_its_history_is_complete(scenario):
    for repo in ("acme/web", "acme/ops", "acme/old"):
        scenario.add("repositories", repo=repo, html_url=f"https://github.com/{repo}")
    scenario.chain(["a"])
    scenario.deployment(1, "a", at(0), [("success", at(0))])  # as_of: 2026-03-02 09:00
    # complete back to its target (its creation)
    history(scenario, "acme/api", datetime(2025, 1, 1), "2025-01-01T00:00:00Z", "2026-02-02T00:00:00Z")  # fmt: skip
    # its recent weeks are in, older history is being read
    history(scenario, "acme/web", datetime(2026, 2, 2), "2025-06-01T00:00:00Z", "2026-02-02T00:00:00Z")  # fmt: skip
    # its first pass is under way
    history(scenario, "acme/ops", None, "2024-03-01T00:00:00Z", "2026-02-10T00:00:00Z")
    # acme/old: synced before history was tracked, never since
    scenario.build()
    rows = scenario.records(
        "select repo, history_state, history_from, history_target, first_pass_from, "
        "days_of_history from marts.history_coverage order by repo"
    )
    assert rows == [
        {
            "repo": "acme/api",
            "history_state": "complete",
            "history_from": datetime(2025, 1, 1),
            "history_target": datetime(2025, 1, 1),
            "first_pass_from": datetime(2026, 2, 2),
            "days_of_history": 425,  # 2025-01-01 -> 2026-03-02: 365 + 31 + 28 + 1
        },
        {
            "repo": "acme/old",
            "history_state": "unknown",
            "history_from": None,
            "history_target": None,
            "first_pass_from": None,
            "days_of_history": None,
        },
        {
            "repo": "acme/ops",
            "history_state": "first pass",
            "history_from": None,
            "history_target": datetime(2024, 3, 1),
            "first_pass_from": datetime(2026, 2, 10),
            "days_of_history": None,
        },
        {
            "repo": "acme/web",
            "history_state": "deepening",
            "history_from": datetime(2026, 2, 2),
            "history_target": datetime(2025, 6, 1),
            "first_pass_from": datetime(2026, 2, 2),
            "days_of_history": 28,  # 2026-02-02 -> 2026-03-02
        },
    ]
