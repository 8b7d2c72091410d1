"""GitHub's oddities end to end: simulator -> a first sync -> the oddities that happen between
two syncs (rename, force push, deleted workflow file) -> `dora ingest` -> `dora build` -> marts.

The organisation and its oddities are described in `github_oddities`. Every oddity must leave the
stream running, everything else stored, and the numbers METRICS.md defines; every deployment the
oddities do not touch must still equal the simulator's ground truth.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import duckdb
import pytest
from github_oddities import (
    DEAD_SHA,
    DELETED_WORKFLOW,
    EMPTY,
    OLD_NAMES,
    QA,
    QA_IDS,
    RENAMED,
    odd_organisation,
    odd_server,
    with_offset,
)

from ingest.sync import IngestRun
from settings.config import load_settings
from simulator.records import Organisation
from tests.reliability.harness import TOKEN, PrefectServer, base_env, run_dora

ROOT = Path(__file__).resolve().parents[2]


def _truth_comparison():
    """`disagreements` of the models' own end-to-end truth test: one definition of "matches"."""
    path = ROOT / "tests" / "models" / "test_end_to_end_truth.py"
    spec = importlib.util.spec_from_file_location("end_to_end_truth", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.disagreements


@dataclass
class OddRun:
    db: Path
    org: Organisation  # as served to the second sync
    truth: dict  # of the same organisation without its oddities
    results: dict

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def qa(self, name: str) -> dict:
        with duckdb.connect(str(self.db), read_only=True) as con:
            result = con.execute(
                "select * from marts.deployments where repo = 'acme/web' and deployment_id = ?",
                [QA_IDS[name]],
            )
            columns = [d[0] for d in result.description]
            return dict(zip(columns, result.fetchone(), strict=True))


@pytest.fixture(scope="module")
def odd(tmp_path_factory, prefect_server: PrefectServer) -> Iterator[OddRun]:
    """First sync in-process (the code the flow runs, without its start-up cost), then the
    second sync and the build as a user runs them: `dora ingest`, `dora build`."""
    root = tmp_path_factory.mktemp("oddities")
    config = root / "dora.toml"
    demo = (ROOT / "simulator" / "demo.toml").read_text()
    config.write_text(demo.replace('"acme/infra"]', f'"acme/infra", "{EMPTY}"]', 1))
    settings = load_settings(config)
    db = root / "dora.duckdb"
    env = base_env(prefect_server, root / "prefect", GITHUB_TOKEN=TOKEN)
    results, seconds = {}, {}
    started = time.monotonic()
    org, _ = odd_organisation(second=False)
    server = odd_server(org)
    port = int(server.base_url.rsplit(":", 1)[1])
    first = IngestRun(settings, db, TOKEN, base_url=server.base_url)
    try:
        first.sync_all(settings.repos)
    finally:
        first.close()
        server.stop()
    assert not first.failed, [r.error for r in first.results if r.error] or first.unavailable
    seconds["first sync"] = time.monotonic() - started
    started = time.monotonic()
    org, truth = odd_organisation(second=True)
    server = odd_server(org, port)  # GitHub at the same address, three days later
    try:
        results["ingest"] = run_dora(
            "ingest", "--config", str(config), "--db", str(db), "--base-url", server.base_url,
            cwd=root, env=env,
        )  # fmt: skip
    finally:
        server.stop()
    seconds["dora ingest"] = time.monotonic() - started
    started = time.monotonic()
    results["build"] = run_dora(
        "build", "--config", str(config), "--db", str(db), cwd=root, env=env
    )
    seconds["dora build"] = time.monotonic() - started
    print("oddities:", ", ".join(f"{step} {s:.1f} s" for step, s in seconds.items()))
    yield OddRun(db, org, truth, results)


def test_ingest_and_build_finish_cleanly(odd: OddRun):
    for step, result in odd.results.items():
        assert result.returncode == 0, (step, result.stderr[-3000:])
        assert "Traceback" not in result.stderr, (step, result.stderr[-3000:])
    assert odd.query("select count(*) from raw.skipped_items") == [(0,)]


def test_everything_the_oddities_do_not_touch_equals_the_truth(odd: OddRun):
    disagreements = _truth_comparison()
    with duckdb.connect(str(odd.db), read_only=True) as con:
        problems = disagreements(con, odd.truth)
    qa_ids = set(QA_IDS.values())
    problems = [
        p for p in problems if not any(str(i) in p for i in qa_ids) and f"'{QA.lower()}'" not in p
    ]
    assert not problems, "\n".join(problems[:20])


def test_everything_served_is_stored(odd: OddRun):
    """Per repository: every deployment, status, run, pull request and incident issue."""
    for repo in odd.org.repos.values():
        stored = "acme/web" if repo.full_name == RENAMED[1] else repo.full_name
        counts = {
            table: odd.query(f"select count(*) from raw.{table} where repo = ?", [stored])[0][0]
            for table in ("deployments", "deployment_statuses", "workflow_runs", "pull_requests")
        }
        assert counts == {
            "deployments": len(repo.deployments),
            "deployment_statuses": sum(len(d.statuses) for d in repo.deployments),
            "workflow_runs": len(repo.runs),
            "pull_requests": len(repo.pulls),
        }, repo.full_name
        incidents = {i.number for i in repo.issues if "incident" in i.labels}
        assert {
            n for (n,) in odd.query("select number from raw.issues where repo = ?", [stored])
        } == incidents


def test_a_deployment_without_statuses_is_unfinished_and_counts_nowhere(odd: OddRun):
    row = odd.qa("no_statuses")
    assert (row["outcome"], row["deployed_at"], row["failed_at"]) == ("unfinished", None, None)
    assert not row["is_counted"] and not row["is_change_failure"]
    # the next success of its sha is not a redeploy: the unfinished attempt is no predecessor
    following = odd.qa("out_of_order")
    assert following["outcome"] == "success" and not following["is_redeploy"]
    assert following["change_count"] > 0


def test_statuses_out_of_order_are_read_by_their_times(odd: OddRun):
    deployed = odd.qa("out_of_order")
    statuses = _record(odd, "out_of_order").statuses
    earliest_success = min(s.created_at for s in statuses if s.state == "success")
    assert statuses[0].created_at == earliest_success != statuses[-1].created_at  # shuffled
    assert deployed["deployed_at"] == _naive(earliest_success)
    failed = odd.qa("failed")
    latest = max(_record(odd, "failed").statuses, key=lambda s: s.created_at)
    assert latest.state == "failure" and latest.id == min(
        s.id for s in _record(odd, "failed").statuses
    )
    assert (failed["outcome"], failed["failed_at"]) == ("failure", _naive(latest.created_at))
    assert failed["is_change_failure"] and failed["failure_reasons"] == "deploy_failed"


def test_a_deployment_of_a_force_pushed_sha_counts_with_no_commit_range(odd: OddRun):
    dead = odd.qa("dead_sha")
    assert (dead["sha"], dead["outcome"], dead["is_counted"]) == (DEAD_SHA, "success", True)
    # it restores the failed attempt before it, as any later success does
    assert odd.qa("failed")["restored_at"] == dead["deployed_at"]
    assert odd.query(
        "select status from raw.compared_shas where repo = 'acme/web' and sha = ?", [DEAD_SHA]
    ) == [("not_found",)]
    # neither it nor the deployment after it can know its changes: both are counted as such
    assert dead["change_count"] == odd.qa("after_dead")["change_count"] == 0
    assert odd.query(
        "select unresolved_commit_ranges from marts.data_quality where repo = 'acme/web'"
    ) == [(2,)]
    counted = odd.query(
        "select count(*) filter (where outcome = 'success'), count(*) from marts.deployments "
        "where repo = 'acme/web' and deployment_id >= 970000 and deployment_id < 971000 "
        "and is_counted"
    )
    assert counted == [(4, 5)]  # the attempt without statuses is the one left out


def test_renamed_environments_stay_one_scope_each(odd: OddRun):
    for current, old in OLD_NAMES.items():
        names = odd.query(
            "select distinct environment from raw.deployments where repo = 'acme/web' "
            "and environment in (?, ?) order by 1",
            [old, current],
        )
        assert names == sorted([(old,), (current,)]), current
        scopes = odd.query(
            "select distinct d.environment from marts.deployments d join raw.deployments r "
            "using (repo, deployment_id) where r.repo = 'acme/web' and r.environment = ?",
            [old],
        )
        assert scopes == [(current,)]


def test_a_renamed_repository_keeps_its_configured_name_and_all_its_data(odd: OddRun):
    assert odd.query("select full_name from raw.repositories where repo = 'acme/web'") == [
        (RENAMED[1],)
    ]
    assert odd.query("select count(*) from raw.repositories where repo = ?", [RENAMED[1]]) == [(0,)]
    # the lists whose filters a followed 301 loses: closed pull requests, labelled issues
    web = odd.org.repos[RENAMED[1]]
    closed = {p.number for p in web.pulls if p.state == "closed"}
    stored = odd.query(
        "select number from raw.pull_requests where repo = 'acme/web' and state = 'closed'"
    )
    assert closed and {n for (n,) in stored} == closed


def test_a_deleted_workflow_file_is_dropped_and_its_runs_stay(odd: OddRun):
    files = {
        p for (p,) in odd.query("select path from raw.workflow_files where repo = 'acme/infra'")
    }
    assert DELETED_WORKFLOW not in files and files
    assert odd.query(
        "select state from raw.workflows where repo = 'acme/infra' and path = ?", [DELETED_WORKFLOW]
    ) == [("deleted",)]
    infra = odd.org.repos["acme/infra"]
    runs = [r for r in infra.runs if r.path == DELETED_WORKFLOW]
    assert runs and odd.query(
        "select count(*) from raw.workflow_runs where repo = 'acme/infra' and path = ?",
        [DELETED_WORKFLOW],
    ) == [(len(runs),)]
    # its runs still deploy (a deploy rule names the file) and match the truth (test above)
    assert odd.query(
        "select count(*) from marts.deployments where repo = 'acme/infra' and source = 'workflow_run'"
    )[0][0] == sum(1 for d in odd.truth["deployments"] if d["repo"] == "acme/infra")


def test_archived_and_empty_repositories(odd: OddRun):
    assert odd.query(
        "select repo, archived from raw.repositories where repo in ('acme/infra', ?) order by 1",
        [EMPTY],
    ) == [(EMPTY, False), ("acme/infra", True)]
    for table in ("commits", "deployments", "workflow_runs", "workflow_files"):
        assert odd.query(f"select count(*) from raw.{table} where repo = ?", [EMPTY]) == [(0,)]
    assert odd.query("select count(*) from marts.deployments where repo = ?", [EMPTY]) == [(0,)]


def test_timestamps_with_offsets_are_the_same_instants(odd: OddRun):
    platform = odd.org.repos["acme/platform"]
    served = odd.query(
        "select payload->>'created_at' from raw.deployments where repo = 'acme/platform'"
    )
    assert served and all(value[-6] in "+-" for (value,) in served)  # the server did use offsets
    stored = dict(
        odd.query(
            "select deployment_id, created_at from raw.deployments where repo = 'acme/platform'"
        )
    )
    assert stored == {d.id: _naive(d.created_at) for d in platform.deployments}
    assert with_offset("2026-11-03T23:30:00Z", 0) == "2026-11-04T05:15:00+05:45"


def test_unicode_and_html_are_stored_exactly(odd: OddRun):
    web = odd.org.repos[RENAMED[1]]
    messages = dict(odd.query("select sha, message from raw.commits where repo = 'acme/web'"))
    assert messages and all(messages[sha] == web.commits[sha].message for sha in messages)
    titles = dict(odd.query("select number, title from raw.pull_requests where repo = 'acme/web'"))
    assert titles == {p.number: p.title for p in web.pulls}
    descriptions = dict(
        odd.query("select deployment_id, description from raw.deployments where repo = 'acme/web'")
    )
    assert descriptions == {d.id: d.description for d in web.deployments}
    environments = odd.query(
        "select distinct environment from raw.deployments where repo = 'acme/web' "
        "and deployment_id = ?",
        [QA_IDS["first"]],
    )
    assert environments == [(QA,)]
    payload = odd.query("select payload from raw.repositories where repo = ?", [EMPTY])[0][0]
    assert json.loads(payload)["description"] == odd.org.repos[EMPTY].description


def _record(odd: OddRun, name: str):
    web = odd.org.repos[RENAMED[1]]
    return next(d for d in web.deployments if d.id == QA_IDS[name])


def _naive(moment):
    return moment.astimezone(UTC).replace(tzinfo=None)


def test_a_renamed_repository_listed_by_owner_wildcard_is_not_stored_twice(tmp_path):
    """`--repo acme/*` lists the new name after a rename: it must continue the stored history."""
    settings = load_settings(ROOT / "simulator" / "demo.toml")
    db, port = tmp_path / "dora.duckdb", 0
    for second in (False, True):
        org, _ = odd_organisation(second)
        server = odd_server(org, port)
        port = int(server.base_url.rsplit(":", 1)[1])
        run = IngestRun(settings, db, TOKEN, base_url=server.base_url)
        try:
            run.sync_all(["acme/*"])
        finally:
            run.close()
            server.stop()
        assert not run.failed, [r.error for r in run.results if r.error] or run.unavailable
    with duckdb.connect(str(db), read_only=True) as con:
        repos = con.execute("select repo, full_name from raw.repositories order by 1").fetchall()
        deployments = con.execute(
            "select repo, count(*) from raw.deployments group by 1 order by 1"
        ).fetchall()
    assert ("acme/web", RENAMED[1]) in repos and RENAMED[1] not in {r for r, _ in repos}
    web = org.repos[RENAMED[1]]
    assert ("acme/web", len(web.deployments)) in deployments
