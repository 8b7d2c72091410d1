"""The generator's ground truth is internally consistent and matches its own records."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from simulator.generator import generate_organisation
from simulator.generator.people import engineers
from simulator.generator.truth import commit_range
from simulator.records import Commit, Organisation

END = date(2026, 11, 20)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module", params=["tiny", "demo"])
def org(request: pytest.FixtureRequest) -> Organisation:
    return generate_organisation(seed=11, days=120, end=END, scale=request.param)


def test_commit_range_follows_both_parents_of_a_merge() -> None:
    who = engineers()[0].person
    at = datetime(2026, 1, 1)

    def c(sha: str, *parents: str) -> Commit:
        return Commit(sha, parents, who, at, who, at, sha)

    commits = {
        x.sha: x
        for x in (c("a"), c("b", "a"), c("x", "a"), c("y", "x"), c("m", "b", "y"), c("n", "m"))
    }
    gen = {"a": 1, "b": 2, "x": 2, "y": 3, "m": 4, "n": 5}
    assert set(commit_range(commits, gen, "n", "b")) == {"n", "m", "y", "x"}
    assert set(commit_range(commits, gen, "n", "y")) == {"n", "m", "b"}
    assert commit_range(commits, gen, "b", "n") == []
    assert commit_range(commits, gen, "n", "n") == []


def test_every_change_belongs_to_a_successful_counted_deployment(org: Organisation) -> None:
    deployments = {d["deployment_id"]: d for d in org.truth["deployments"]}
    assert org.truth["changes"]
    seen = Counter(
        (c["repo"], c["service"], c["environment"], c["sha"]) for c in org.truth["changes"]
    )
    assert max(seen.values()) == 1, "a commit is attributed once per scope"
    for change in org.truth["changes"]:
        d = deployments[change["deployment_id"]]
        assert d["outcome"] == "success" and d["is_counted"] and not d["is_rollback"]
        assert (d["repo"], d["service"], d["environment"]) == (
            change["repo"],
            change["service"],
            change["environment"],
        )
        assert change["deployed_at"] == d["deployed_at"]
        assert change["lead_time_seconds"] >= 0
        assert (
            change["lead_time_seconds"]
            == (ts(d["deployed_at"]) - ts(change["started_at"])).total_seconds()
        )
        commit = org.repos[change["repo"]].commits[change["sha"]]
        assert len(commit.parents) == 1, "merge commits are not changes"
    counts = Counter(c["deployment_id"] for c in org.truth["changes"])
    assert all(deployments[i]["change_count"] == n for i, n in counts.items())


def test_failures_reasons_and_recovery_agree(org: Organisation) -> None:
    for d in org.truth["deployments"]:
        assert d["is_change_failure"] == bool(d["failure_reasons"])
        assert d["failure_reasons"] == sorted(set(d["failure_reasons"]))
        if d["outcome"] == "failure":
            assert d["failed_at"] and not d["deployed_at"]
            # a retried attempt counts nowhere: its retry stands for it
            assert ("deploy_failed" in d["failure_reasons"]) == (not d["is_retried"])
        if d["outcome"] in ("unfinished", "superseded") or d["is_redeploy"] or d["is_retried"]:
            assert not d["failure_reasons"] and not d["is_rework"] and not d["change_count"]
        assert (d["restored_at"] is None) == (d["recovery_seconds"] is None)
        if d["recovery_seconds"] is not None:
            assert d["is_change_failure"] and d["recovery_seconds"] >= 0
            start = ts(d["failed_at"] or d["deployed_at"])
            assert (ts(d["restored_at"]) - start).total_seconds() == d["recovery_seconds"]
    reasons = Counter(r for d in org.truth["deployments"] for r in d["failure_reasons"])
    assert reasons["deploy_failed"] and reasons["verification_failed"]


def test_rollbacks_redeploy_an_older_sha_of_the_same_scope(org: Organisation) -> None:
    by_scope: dict = {}
    for d in sorted(
        (d for d in org.truth["deployments"] if d["outcome"] == "success"),
        key=lambda d: (d["deployed_at"], d["deployment_id"]),
    ):
        scope = (d["repo"], d["service"], d["environment"])
        earlier = by_scope.setdefault(scope, [])
        if d["is_rollback"]:
            assert (
                d["sha"] in {e["sha"] for e in earlier}
                or "rollback" in (d["description"] or "").lower()
            )
            assert d["is_rework"] and d["change_count"] == 0
        if d["is_redeploy"]:
            assert earlier and earlier[-1]["sha"] == d["sha"]
        if not earlier:
            assert d["change_count"] == 0, "the first deployment of a scope has no baseline"
        earlier.append(d)
    rolled = [d for d in org.truth["deployments"] if d["rolled_back_by"]]
    ids = {d["deployment_id"]: d for d in org.truth["deployments"]}
    assert all(
        "rolled_back" in d["failure_reasons"] and ids[d["rolled_back_by"]]["is_rollback"]
        for d in rolled
    )


def test_incidents_are_attributed_within_the_window(org: Organisation) -> None:
    deployments = {d["deployment_id"]: d for d in org.truth["deployments"]}
    incidents = org.truth["incidents"]
    assert any(i["deployment_id"] for i in incidents)
    for incident in incidents:
        if incident["deployment_id"] is None:
            continue
        d = deployments[incident["deployment_id"]]
        gap = ts(incident["created_at"]) - ts(d["deployed_at"])
        assert timedelta(0) <= gap <= timedelta(hours=24)
        assert d["environment"] == incident["environment"] and "incident" in d["failure_reasons"]


def test_unattributed_incidents_are_far_from_any_counted_deployment(org: Organisation) -> None:
    lonely = [i for i in org.truth["incidents"] if i["deployment_id"] is None]
    assert lonely or org.scale == "tiny"
    for incident in lonely:
        before = [
            ts(d["deployed_at"]) for d in org.truth["deployments"]
            if d["repo"] == incident["repo"] and d["environment"] == incident["environment"]
            and d["service"] == incident["service"] and d["deployed_at"] and d["is_counted"]
            and d["deployed_at"] <= incident["created_at"]
        ]  # fmt: skip
        assert not before or ts(incident["created_at"]) - max(before) > timedelta(hours=24)


def test_truth_covers_every_deployment_record_once(org: Organisation) -> None:
    truth = Counter(d["deployment_id"] for d in org.truth["deployments"])
    assert max(truth.values()) == 1
    api = {d.id for r in org.repos.values() for d in r.deployments}
    assert api == {
        d["deployment_id"] for d in org.truth["deployments"] if d["source"] == "deployments_api"
    }
    infra_runs = {
        r.id for r in org.repos["acme/infra"].runs if r.path.endswith("terraform-apply.yml")
    }
    from_runs = {
        d["deployment_id"] for d in org.truth["deployments"] if d["source"] == "workflow_run"
    }
    assert from_runs and from_runs <= infra_runs


def test_reverted_deployments_first_shipped_the_reverted_commit(org: Organisation) -> None:
    first_shipped = {
        (c["repo"], c["service"], c["environment"], c["sha"]): c["deployment_id"]
        for c in org.truth["changes"]
    }
    reverted_ids = set()
    for change in org.truth["changes"]:
        message = org.repos[change["repo"]].commits[change["sha"]].message
        if message.startswith('Revert "'):
            target = message.split("This reverts commit ")[1][:40]
            key = (change["repo"], change["service"], change["environment"], target)
            # shipped together with its commit, a revert undoes nothing
            if first_shipped.get(key, change["deployment_id"]) != change["deployment_id"]:
                reverted_ids.add(first_shipped[key])
    marked = {
        d["deployment_id"] for d in org.truth["deployments"] if "reverted" in d["failure_reasons"]
    }
    assert marked == reverted_ids
    assert reverted_ids or org.scale == "tiny"


def test_unfinished_deployments_exist_and_count_nowhere(org: Organisation) -> None:
    unfinished = [d for d in org.truth["deployments"] if d["outcome"] == "unfinished"]
    assert unfinished
    assert all(not d["is_counted"] and d["deployed_at"] is None for d in unfinished)
