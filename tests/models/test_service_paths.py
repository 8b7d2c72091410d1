"""Monorepo services by path (`[[services]]`): a commit is a change of a service only if it touches
one of the service's paths. Numbers worked out by hand; times are hours from T0."""

import re

import duckdb
import pytest
from model_scenario import Scenario, at, sha

from flows.build import build_models
from models.settings_tables import glob_to_regex
from settings.config import Settings

HOUR = 3600
# `api-production` is service api; plain `production` is the repo's own service `platform`,
# which has no path rules and so keeps every commit.
RULES = Settings.model_validate(
    {
        "environments": {"service_pattern": "^(?P<service>[a-z]+)-(?P<environment>[a-z]+)$"},
        "services": [
            {"repo": "acme/platform", "name": "api", "paths": ["services/api/**"]},
            {
                "repo": "acme/platform",
                "name": "billing",
                "paths": ["services/billing/**", "libs/billing_client/**"],
            },
        ],
    }
)


@pytest.fixture
def monorepo(tmp_path):
    # GitHub's name may differ in case from the rules' `acme/platform`: still the same repo
    built = Scenario(tmp_path / "work.duckdb", repo="Acme/Platform")
    yield built
    built.con.close()


def files(scenario: Scenario, commit: str, *paths: str) -> None:
    """The files a commit touched, as the commit_files stream stores them."""
    scenario.add("commit_files", sha=sha(commit), status="ok", paths=list(paths),
                 file_count=len(paths))  # fmt: skip


def changes(scenario: Scenario) -> dict[int, dict[str, float]]:
    """deployment id -> {commit name's sha: lead time in hours}."""
    out: dict[int, dict[str, float]] = {}
    for deployment_id, commit, seconds in scenario.query(
        "select deployment_id, sha, lead_time_seconds from marts.changes"
    ):
        out.setdefault(deployment_id, {})[commit] = seconds / HOUR
    return out


def test_a_commit_counts_for_the_services_whose_paths_it_touches(monorepo):
    monorepo.commit("a", [], at(-20))
    monorepo.commit("c1", ["a"], at(-10))  # api only
    monorepo.commit("c2", ["c1"], at(-9))  # billing only
    monorepo.commit("c3", ["c2"], at(-8))  # both services
    monorepo.commit("c4", ["c3"], at(-7))  # shared code and docs only: no service
    monorepo.commit("c5", ["c4"], at(-6))  # files not fetched (yet): every ruled service
    monorepo.commit("c6", ["c5"], at(-5))  # billing through the client library it owns
    files(monorepo, "a", "README.md")
    files(monorepo, "c1", "services/api/app/handlers.py")
    files(monorepo, "c2", "services/billing/app/models.py")
    files(monorepo, "c3", "services/api/app/config.py", "services/billing/app/config.py")
    files(monorepo, "c4", "libs/common/retry.py", "docs/runbook.md")
    files(monorepo, "c6", "libs/billing_client/client.py")
    monorepo.ok(1, "a", at(-15), environment="api-production")  # baselines
    monorepo.ok(2, "a", at(-15), environment="billing-production")
    monorepo.ok(3, "a", at(-15), environment="production")
    monorepo.ok(4, "c6", at(2), environment="api-production")  # each ships c1..c6
    monorepo.ok(5, "c6", at(2), environment="billing-production")
    monorepo.ok(6, "c6", at(3), environment="production")
    monorepo.build(RULES)

    assert changes(monorepo) == {
        4: {sha("c1"): 12, sha("c3"): 10, sha("c5"): 8},  # authored -10, -8, -6; deployed +2
        5: {sha("c2"): 11, sha("c3"): 10, sha("c5"): 8, sha("c6"): 7},
        # no rules for service `platform`: every commit, as without rules
        6: {sha(c): 3 - hours for c, hours in
            [("c1", -10), ("c2", -9), ("c3", -8), ("c4", -7), ("c5", -6), ("c6", -5)]},
    }  # fmt: skip
    rows = monorepo.deployments()
    assert [rows[i]["change_count"] for i in (4, 5, 6)] == [3, 4, 6]
    assert rows[4]["lead_time_p50_seconds"] == 10 * HOUR  # median of 12, 10, 8
    assert rows[5]["lead_time_p50_seconds"] == 9 * HOUR  # interpolated between 10 and 8
    # c5 is counted in api and in billing without knowing its files; c4 belongs to no service
    assert monorepo.records(
        "select changes, changes_without_files, commits_outside_service_paths "
        "from marts.data_quality"
    ) == [{"changes": 13, "changes_without_files": 2, "commits_outside_service_paths": 1}]


def test_a_revert_undoes_only_the_service_that_shipped_the_reverted_change(monorepo):
    monorepo.commit("a", [], at(-30))
    monorepo.commit("b", ["a"], at(-20), message="Speed up api handlers")
    monorepo.commit(
        "r", ["b"], at(-10),
        message=f'Revert "Speed up api handlers"\n\nThis reverts commit {sha("b")}.',
    )  # fmt: skip
    files(monorepo, "a", "README.md")
    files(monorepo, "b", "services/api/app/handlers.py")
    files(monorepo, "r", "services/api/app/handlers.py")  # a revert touches what it reverts
    for first, env in ((1, "api-production"), (4, "billing-production")):
        monorepo.ok(first, "a", at(-25), environment=env)
        monorepo.ok(first + 1, "b", at(-15), environment=env)  # the whole monorepo sha ships
        monorepo.ok(first + 2, "r", at(-5), environment=env)
    monorepo.build(RULES)

    rows = monorepo.deployments()
    # api shipped b with deployment 2 and its revert with 3: 2 is a change failure, 3 rework
    assert (rows[2]["failure_reasons"], rows[2]["is_change_failure"]) == ("reverted", True)
    assert rows[3]["is_rework"] and rows[3]["change_count"] == 1
    # billing deployed the same shas but neither commit is its change: nothing was undone
    assert [rows[i]["change_count"] for i in (5, 6)] == [0, 0]
    assert not rows[5]["is_change_failure"] and not rows[5]["failure_reasons"]
    assert not rows[6]["is_rework"]
    summary = {
        r["service"]: r
        for r in monorepo.records("select * from marts.dora_summary where environment = 'production'")
    }  # fmt: skip
    assert summary["api"]["change_fail_rate"] == pytest.approx(1 / 3)  # 2 of deployments 1-3
    assert summary["billing"]["change_fail_rate"] == 0
    assert summary["billing"]["rework_rate"] == 0


def test_merge_commits_are_no_change_and_a_moved_file_touches_its_old_folder(monorepo):
    # a pull request of two commits merged with a merge commit m (parents a and p2)
    monorepo.commit("a", [], at(-30))
    monorepo.commit("p1", ["a"], at(-20))
    monorepo.commit("p2", ["p1"], at(-19))
    monorepo.commit("m", ["a", "p2"], at(-5))
    files(monorepo, "p1", "services/billing/app/models.py")
    # GitHub lists a moved file with its previous_filename; the stream keeps both paths
    files(monorepo, "p2", "libs/common/tokens.py", "services/api/app/tokens.py")
    files(monorepo, "m", "services/billing/app/models.py", "libs/common/tokens.py")
    for first, env in ((1, "api-production"), (3, "billing-production")):
        monorepo.ok(first, "a", at(-25), environment=env)
        monorepo.ok(first + 1, "m", at(0), environment=env)
    monorepo.build(RULES)

    # the merge commit is never a change; each pull-request commit counts for its own services
    assert changes(monorepo) == {2: {sha("p2"): 19}, 4: {sha("p1"): 20}}
    assert monorepo.query("select commits_outside_service_paths from marts.data_quality") == [(0,)]


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("services/api/**", "services/api/app/handlers.py", True),
        ("services/api/**", "services/apis/app.py", False),
        ("services/*/app.py", "services/api/app.py", True),
        ("services/*/app.py", "services/api/v2/app.py", False),  # `*` stays within a folder
        ("libs/**/client.py", "libs/client.py", True),  # `**/` may be no folder at all
        ("libs/**/client.py", "libs/a/b/client.py", True),
        ("*.md", "docs/runbook.md", False),  # anchored at the repository root
    ],
)
def test_path_globs_read_like_gitignore_anchored_at_the_root(glob, path, matches):
    assert bool(re.search(glob_to_regex(glob), path)) is matches


def test_a_database_an_older_ingest_wrote_still_builds(monorepo, tmp_path):
    """raw.commit_files came with raw schema 3: a build before the next ingest creates it empty
    (without path rules nothing reads its rows) instead of failing on the missing table."""
    monorepo.chain(["a", "b"], authored=at(-10))
    monorepo.ok(1, "a", at(-5))
    monorepo.ok(2, "b", at(0))
    monorepo.load()
    monorepo.con.execute("drop table raw.commit_files")
    monorepo.con.close()
    build_models(monorepo.path, Settings())
    with duckdb.connect(str(monorepo.path), read_only=True) as con:
        assert con.execute("select count(*) from raw.commit_files").fetchone() == (0,)
        assert con.execute("select count(*) from marts.changes").fetchone() == (1,)
    monorepo.con = duckdb.connect(str(monorepo.path))  # for the fixture's teardown
