"""Simulator -> ingest over real HTTP -> build: every per-deployment flag, reason, recovery and lead
time equals the simulator's ground truth (`org.truth`, also served at /_simulator/truth)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from flows.build import build_models
from ingest.sync import IngestRun
from settings.config import load_settings
from simulator.generator import generate_organisation
from simulator.generator.truth import REVERTS, ROLLBACK, VERIFICATION_FILES, iso
from simulator.server import SimulatorServer

DEPLOYMENT_FIELDS = [
    "environment",
    "service",
    "sha",
    "outcome",
    "created_at",
    "deployed_at",
    "failed_at",
    "is_redeploy",
    "is_retried",
    "is_rollback",
    "is_rework",
    "is_change_failure",
    "failure_reasons",
    "restored_at",
    "recovery_seconds",
]
CHANGE_FIELDS = [
    "deployment_id",
    "started_at",
    "deployed_at",
    "lead_time_seconds",
    "pr_number",
    "coding_seconds",
    "review_seconds",
    "delivery_seconds",
]


def _normal(field: str, value):
    if field == "failure_reasons":
        return ",".join(value) if isinstance(value, list) else (value or "")
    if field.endswith("_at") and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    if field.endswith("_seconds") and value is not None:
        return float(value)
    return value


def _rows(con, sql: str) -> list[dict]:
    result = con.execute(sql)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def disagreements(con: duckdb.DuckDBPyConnection, truth: dict) -> list[str]:
    """Every difference between the marts and the truth, one readable line each."""
    problems = []
    ours = {
        (r["repo"], r["source"], r["deployment_id"]): r
        for r in _rows(con, "select * from marts.deployments")
    }
    expected = {(d["repo"], d["source"], d["deployment_id"]): d for d in truth["deployments"]}
    problems += [f"deployment missing: {k}" for k in expected.keys() - ours.keys()]
    problems += [f"deployment not in truth: {k}" for k in ours.keys() - expected.keys()]
    for key in expected.keys() & ours.keys():
        for field in DEPLOYMENT_FIELDS:
            want = _normal(field, expected[key][field])
            got = _normal(field, ours[key][field])
            if want != got:
                problems.append(f"deployment {key} {field}: truth {want!r}, ours {got!r}")
    ours_changes = {
        (r["repo"], r["service"], r["environment"], r["sha"]): r
        for r in _rows(con, "select * from marts.changes")
    }
    expected_changes = {
        (c["repo"], c["service"], c["environment"], c["sha"]): c for c in truth["changes"]
    }
    problems += [f"change missing: {k}" for k in expected_changes.keys() - ours_changes.keys()]
    problems += [f"change not in truth: {k}" for k in ours_changes.keys() - expected_changes.keys()]
    for key in expected_changes.keys() & ours_changes.keys():
        for field in CHANGE_FIELDS:
            want = _normal(field, expected_changes[key][field])
            got = _normal(field, ours_changes[key][field])
            if want != got:
                problems.append(f"change {key} {field}: truth {want!r}, ours {got!r}")
    ours_incidents = {
        (r["repo"], r["number"]): (r["environment"], r["service"], r["deployment_id"])
        for r in _rows(con, "select * from marts.incidents")
    }
    for incident in truth["incidents"]:
        key = (incident["repo"], incident["number"])
        want = (incident["environment"], incident["service"], incident["deployment_id"])
        if ours_incidents.get(key) != want:
            problems.append(f"incident {key}: truth {want}, ours {ours_incidents.get(key)}")
    return problems


def patterns_in(org) -> dict[str, int]:
    """How often the truth holds each pattern the 2026-12-01 amendments are about."""
    truth = org.truth
    deployments = {d["deployment_id"]: d for d in truth["deployments"]}
    records = {d.id: d for repo in org.repos.values() for d in repo.deployments}
    runs = {r.id: r for repo in org.repos.values() for r in repo.runs}
    changes_of: dict[int, set[str]] = {}
    for change in truth["changes"]:
        changes_of.setdefault(change["deployment_id"], set()).add(change["sha"])
    reverts = {
        (c["deployment_id"], REVERTS.search(org.repos[c["repo"]].commits[c["sha"]].message))
        for c in truth["changes"]
    }
    checks = [
        (r.head_sha, r.run_started_at)
        for r in runs.values()
        if r.path.rsplit("/", 1)[-1] in VERIFICATION_FILES and r.conclusion == "failure"
    ]
    open_and_closed: dict[int, set[bool]] = {}
    for incident in truth["incidents"]:
        if incident["deployment_id"] is not None:
            open_and_closed.setdefault(incident["deployment_id"], set()).add(
                incident["closed_at"] is None
            )

    def redeployed_before_check(d: dict) -> bool:
        later = [
            r for r in truth["deployments"]
            if r["is_redeploy"] and (r["repo"], r["service"], r["environment"], r["sha"])
            == (d["repo"], d["service"], d["environment"], d["sha"])
            and r["deployed_at"] > d["deployed_at"]
        ]  # fmt: skip
        return any(
            sha == d["sha"] and r["deployed_at"] < iso(started)
            for r in later
            for sha, started in checks
        )

    def inactive_after_failure(d: dict) -> bool:
        states = [s.state for s in records[d["deployment_id"]].statuses]
        failed = [i for i, state in enumerate(states) if state in ("failure", "error")]
        return bool(failed) and "inactive" in states[failed[-1] :]

    named_rollback = [
        d for d in truth["deployments"]
        if d["source"] == "workflow_run"
        and ROLLBACK.search(runs[d["deployment_id"]].display_title) and not d["is_rollback"]
    ]  # fmt: skip
    return {
        "rollback": sum(d["is_rollback"] for d in truth["deployments"]),
        "revert": sum("reverted" in d["failure_reasons"] for d in truth["deployments"]),
        "same-deployment revert": sum(
            1
            for deployment_id, match in reverts
            if match and match.group(1) in changes_of[deployment_id]
        ),  # fmt: skip
        "failed verification": sum(
            "verification_failed" in d["failure_reasons"] for d in truth["deployments"]
        ),
        "redeploy before a failed verification": sum(
            redeployed_before_check(d)
            for d in truth["deployments"]
            if "verification_failed" in d["failure_reasons"]
        ),
        "retried attempt": sum(d["is_retried"] for d in truth["deployments"]),
        "superseded deployment": sum(d["outcome"] == "superseded" for d in truth["deployments"]),
        "failure then inactive": sum(
            inactive_after_failure(d)
            for d in truth["deployments"]
            if d["outcome"] == "failure" and d["is_counted"] and d["source"] == "deployments_api"
        ),
        "change failure with a closed and an open incident": sum(
            flags == {True, False} and deployments[i]["restored_at"] is not None
            for i, flags in open_and_closed.items()
        ),
        "rule run titled rollback, not a rollback": len(named_rollback),
    }


def _ingest_and_build(tmp_path, scale: str, days: int):
    org = generate_organisation(seed=7, days=days, end=date(2026, 11, 20), scale=scale)
    settings = load_settings("simulator/demo.toml")
    settings.github.seconds_between_requests = 0  # a local server: no pacing needed
    db = tmp_path / "dora.duckdb"
    with SimulatorServer(org, host="127.0.0.1", port=0) as server:
        run = IngestRun(settings, db, "test-token", base_url=server.base_url)
        try:
            run.sync_all(settings.repos)
        finally:
            run.close()
        assert not run.unavailable
    build_models(db, settings)
    return org, db


def _check(org, db):
    assert org.truth["deployments"] and org.truth["changes"]
    with duckdb.connect(str(db), read_only=True) as con:
        problems = disagreements(con, org.truth)
    assert not problems, f"{len(problems)} disagreements, first ones:\n" + "\n".join(problems[:20])


def test_tiny_organisation_matches_the_truth(tmp_path):
    org, db = _ingest_and_build(tmp_path, "tiny", 30)
    # the comparison covers every pattern the 2026-12-01 amendments are about
    assert {name: n for name, n in patterns_in(org).items() if not n} == {}
    _check(org, db)


@pytest.mark.slow
def test_demo_organisation_through_the_cli_matches_the_served_truth(tmp_path):
    """The acceptance run: demo scale, 120 days, `dora ingest` then `dora build` as a user would
    (about 8 minutes on 2 busy cores), checked against GET /_simulator/truth."""
    org = generate_organisation(seed=7, days=120, end=date(2026, 11, 20), scale="demo")
    config = tmp_path / "dora.toml"
    # simulator/demo.toml already sets `seconds_between_requests = 0` (a local server: no pacing)
    config.write_text(Path("simulator/demo.toml").read_text())
    db = tmp_path / "dora.duckdb"
    env = {**os.environ, "GITHUB_TOKEN": "test-token", "PREFECT_HOME": str(tmp_path / "prefect")}
    dora = [sys.executable, "-m", "flows.cli"]
    with SimulatorServer(org, host="127.0.0.1", port=0) as server:
        for command in (
            ["ingest", "--base-url", server.base_url, "--db", str(db), "--config", str(config)],
            ["build", "--db", str(db), "--config", str(config)],
        ):
            done = subprocess.run(dora + command, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-2000:]
        with urllib.request.urlopen(f"{server.base_url}/_simulator/truth") as response:
            truth = json.load(response)
    with duckdb.connect(str(db), read_only=True) as con:
        problems = disagreements(con, truth)
    assert not problems, f"{len(problems)} disagreements, first ones:\n" + "\n".join(problems[:20])
