"""Commit ranges on real history (PyGithub: merges, release branches, reverts), checked against
an independent walk of the commit graph done here in the test."""

import gzip
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from tests.prerequisites import fixture_path

REAL_HISTORY = fixture_path("real-history/commits.json.gz")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


@pytest.fixture(scope="module")
def history():
    return json.loads(gzip.decompress(REAL_HISTORY.read_bytes()))


def _ancestors(parents: dict[str, list[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        commit = stack.pop()
        if commit not in seen:
            seen.add(commit)
            stack.extend(parents.get(commit, []))
    return seen


def test_release_deployments_ship_exactly_the_new_ancestry(scenario, history):
    commits = {c["sha"]: c for c in history["commits"]}
    parents = {c["sha"]: c["parents"] for c in history["commits"]}
    scenario.rows["commits"] = [
        {
            "repo": scenario.repo,
            "sha": c["sha"],
            "parents": c["parents"],
            "author_date": _utc(c["author"]["date_utc"]),
            "committer_date": _utc(c["committer"]["date_utc"]),
            "message": c["message"],
        }
        for c in history["commits"]
    ]
    # v2.6.0 .. v2.10.0 in the order they were tagged, release-branch tags (v2.6.1, v2.8.1) too
    tags = [t for t in history["tags"] if t.startswith(("v2.6", "v2.7", "v2.8", "v2.9", "v2.10"))]
    tags.sort(key=lambda t: _utc(commits[history["tags"][t]]["committer"]["date_utc"]))
    assert {"v2.6.1", "v2.8.1", "v2.9.0"} <= set(tags)
    for number, tag in enumerate(tags, start=1):
        tagged = commits[history["tags"][tag]]
        scenario.ok(number, "x", _utc(tagged["committer"]["date_utc"]) + timedelta(hours=1))
        scenario.rows["deployments"][-1]["sha"] = tagged["sha"]
    scenario.build()

    got = scenario.table("select deployment_id, sha, lead_time_seconds from marts.changes")
    expected_rows, shipped = [], set()
    deployed = {r["deployment_id"]: r for r in scenario.records("select * from marts.deployments")}
    for number, tag in enumerate(tags, start=1):
        reach = _ancestors(parents, history["tags"][tag])
        new = reach - shipped
        shipped |= reach
        if number == 1:
            continue  # no baseline
        for commit in new:
            if len(parents[commit]) > 1:
                continue  # merge commits are left out
            lead = deployed[number]["deployed_at"] - _utc(commits[commit]["author"]["date_utc"])
            if lead.total_seconds() >= 0:
                expected_rows.append((number, commit, int(lead.total_seconds())))
    expected = pd.DataFrame(expected_rows, columns=["deployment_id", "sha", "lead_time_seconds"])
    key = ["deployment_id", "sha"]
    got_sorted = got.sort_values(key).reset_index(drop=True).astype({"lead_time_seconds": int})
    expected_sorted = expected.sort_values(key).reset_index(drop=True)
    assert len(expected_sorted) > 150  # real ranges, not a trivial one
    pd.testing.assert_frame_equal(got_sorted, expected_sorted, check_dtype=False)
    # the 2.8.1 fixes reach main as different commits: v2.9.0 still ships its own copies
    v290 = tags.index("v2.9.0") + 1
    assert deployed[v290]["change_count"] == (got["deployment_id"] == v290).sum() > 0
