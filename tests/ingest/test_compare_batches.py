"""Compares of off-branch deploys over real HTTP: stored 50 per transaction, kept on an error.

`ingest.streams.commits` looks up every deployed sha that is not on the default branch with
`compare/{branch}...{sha}` and stores the outcomes `COMPARES_PER_TRANSACTION` at a time. The
simulator's API is wrapped (as `tests/reliability/github_oddities.py` does) so that, while it
answers each compare, it reads how many compares a second DuckDB connection sees committed: what
a dashboard reading at that moment, or a crash at that moment, would keep. It can also start
failing compares after the first k shas, to see what an error mid-way leaves behind. One deployed
sha was force-pushed away (compare answers 404): only raw.compared_shas remembers it was looked up.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pytest

from ingest.client import BadCredentials, RetryPolicy
from ingest.sync import IngestRun, StreamResult
from settings.config import Settings
from simulator.generator import generate_organisation
from simulator.records import Organisation, Repository
from simulator.server import SimulatorServer
from simulator.server.responses import DOCS, Request, Response
from simulator.server.routes import GitHubApi
from tests.ingest.sim_helpers import default_branch_shas, ids

REPO = "acme/web"
# acme/web of this organisation deploys 106 shas that are not on main, and the dead one: two full
# batches and 7. The dead sha sorts first, so it is among the compares stored before an error.
SEED, DAYS, END = 5, 40, date(2026, 11, 20)
DEAD_SHA = "0" * 32 + "deadbeef"
OFF_BRANCH_SHAS = 107
STREAMS = ("repository", "deployments", "commits")  # all the compares need
# One pass over the whole history (no newest-first horizon): every deployment is read at once.
ALL_AT_ONCE = Settings.model_validate(
    {"github": {"seconds_between_requests": 0, "first_sync_days": 0}}
)
COMPARE_ROUTE = "/repos/{owner}/{repo}/compare/{basehead+}"
FAILURES = {
    500: {"message": "Server Error"},  # retried, then the stream fails and the run goes on
    401: {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"},  # fatal
}


class WatchedCompares(GitHubApi):
    """GitHub's compare answers, noting the compares stored when each was asked; may fail some."""

    def __init__(self, org: Organisation, db: Path) -> None:
        super().__init__(org)
        self.db = db
        self.asked: list[str] = []  # head sha of each compare request, in order
        self.stored_when_asked: list[int] = []  # committed compared_shas rows at that moment
        self.answer_first: int | None = None  # then fail compares of any further sha
        self.failure = 500

    def handle(self, req: Request) -> tuple[str, Response]:
        if "/compare/" not in req.path:
            return super().handle(req)
        head = unquote(req.path).rsplit("...", 1)[1]
        self.asked.append(head)
        self.stored_when_asked.append(compared_count(self.db))
        answered = list(dict.fromkeys(self.asked))
        if self.answer_first is not None and answered.index(head) >= self.answer_first:
            return COMPARE_ROUTE, Response(self.failure, FAILURES[self.failure])
        return super().handle(req)


def compared_count(db: Path) -> int:
    """Rows of raw.compared_shas committed now, read on a connection of its own."""
    with duckdb.connect(str(db)) as con:
        return con.execute("select count(*) from raw.compared_shas").fetchone()[0]


def watched_server(org: Organisation, db: Path) -> tuple[SimulatorServer, WatchedCompares]:
    server = SimulatorServer(org)
    server.api = api = WatchedCompares(org, db)
    return server, api


def sync_compares(base_url: str, db: Path) -> dict[str, StreamResult]:
    """The streams the compares need, of acme/web only; a fatal error propagates."""
    policy = RetryPolicy(backoff_base=0.01, backoff_cap=0.05)
    run = IngestRun(ALL_AT_ONCE, db, "test-token", base_url=base_url, policy=policy)
    try:
        return {stream: run.run_stream(REPO, stream) for stream in STREAMS}
    finally:
        run.close()


def off_branch_shas(repo: Repository) -> set[str]:
    main = default_branch_shas(repo)
    return {d.sha for d in repo.deployments if d.sha and d.sha not in main}


def ahead_of_main(repo: Repository, sha: str) -> set[str]:
    """The commits `compare/main...sha` lists: reachable from `sha`, not from main."""
    main, seen, todo = default_branch_shas(repo), set(), [sha]
    while todo:
        current = todo.pop()
        if current in repo.commits and current not in main and current not in seen:
            seen.add(current)
            todo.extend(repo.commits[current].parents)
    return seen


@dataclass
class CleanSync:
    org: Organisation
    db: Path
    api: WatchedCompares
    results: dict[str, StreamResult]


@pytest.fixture(scope="module")
def organisation() -> Organisation:
    org = generate_organisation(seed=SEED, days=DAYS, scale="demo", end=END)
    web = org.repos[REPO]
    last = web.deployments[-1]
    dead = dataclasses.replace(last, id=last.id + 1_000_000, sha=DEAD_SHA, statuses=[])
    web.deployments.append(dead)
    off = off_branch_shas(web)
    assert (len(off), min(off)) == (OFF_BRANCH_SHAS, DEAD_SHA)  # the premise of the tests
    return org


@pytest.fixture(scope="module")
def clean(tmp_path_factory, organisation: Organisation) -> Iterator[CleanSync]:
    db = tmp_path_factory.mktemp("clean") / "dora.duckdb"
    server, api = watched_server(organisation, db)
    with server:
        results = sync_compares(server.base_url, db)
    yield CleanSync(organisation, db, api, results)


def test_compares_are_committed_fifty_per_transaction(clean: CleanSync):
    assert not [r.error for r in clean.results.values() if r.error]
    n = OFF_BRANCH_SHAS
    assert len(clean.api.asked) == n  # one request per sha: no compare needs a second page
    # While the i-th compare is asked, only the full batches before it are visible.
    assert clean.api.stored_when_asked == [50 * (i // 50) for i in range(n)]
    final = compared_count(clean.db)
    assert final == n
    commits_writing_compares = {*clean.api.stored_when_asked, final} - {0}
    assert len(commits_writing_compares) == math.ceil(n / 50) == 3


def test_every_off_branch_deploy_is_compared_once_with_its_commits(clean: CleanSync):
    repo = clean.org.repos[REPO]
    off = off_branch_shas(repo)
    assert sorted(clean.api.asked) == sorted(off)  # each once
    outcomes = {
        sha: (base, status, ahead)
        for sha, base, status, ahead in ids(
            clean.db, "select sha, base_ref, status, ahead_by from raw.compared_shas"
        )
    }
    assert set(outcomes) == off
    assert outcomes.pop(DEAD_SHA) == ("main", "not_found", None)
    for sha in off - {DEAD_SHA}:
        base, status, ahead = outcomes[sha]
        assert base == "main" and status in ("ahead", "diverged"), (sha, base, status)
        assert ahead == len(ahead_of_main(repo, sha)), sha
    expected = default_branch_shas(repo).union(*(ahead_of_main(repo, sha) for sha in off))
    assert DEAD_SHA not in expected
    assert ids(clean.db, f"select sha from raw.commits where repo = '{REPO}'") == expected


@pytest.mark.parametrize("failure", [500, 401], ids=["server-error", "bad-credentials"])
def test_an_error_mid_compares_keeps_what_was_compared_and_the_next_sync_does_the_rest(
    tmp_path, organisation: Organisation, clean: CleanSync, failure: int
):
    answered = 60  # a full batch and 10 more: the 10 are stored only by the `finally`
    db = tmp_path / "dora.duckdb"
    server, api = watched_server(organisation, db)
    api.answer_first, api.failure = answered, failure
    with server:
        if failure == 401:
            with pytest.raises(BadCredentials):
                sync_compares(server.base_url, db)
        else:
            results = sync_compares(server.base_url, db)
            assert "500" in (results["commits"].error or ""), results["commits"]
        first_asked = list(dict.fromkeys(api.asked))
        assert len(first_asked) == answered + 1  # the failing sha is the last one asked
        assert api.stored_when_asked[-1] == 50  # when it failed, the 10 were not yet stored
        compared = ids(db, "select sha from raw.compared_shas")
        assert compared == set(first_asked[:answered])  # the full batch and the 10
        in_commits = ids(db, f"select sha from raw.commits where repo = '{REPO}'")

        api.answer_first, api.asked = None, []
        results = sync_compares(server.base_url, db)
        assert not [r.error for r in results.values() if r.error]
    off = off_branch_shas(organisation.repos[REPO])
    # Shas the first sync compared, or found among the commits it stored, are not asked again.
    assert api.asked == sorted(off - compared - in_commits)
    assert not set(api.asked) & compared
    assert DEAD_SHA in compared - in_commits  # not asked again: raw.compared_shas says why
    assert ids(db, "select sha from raw.compared_shas") == compared | set(api.asked)
    commits = f"select sha from raw.commits where repo = '{REPO}'"
    assert ids(db, commits) == ids(clean.db, commits)
