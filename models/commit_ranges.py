"""Which successful deployment first ships each commit, per repo x service x environment.

A commit belongs to the first deployment (in `deployed_at` order) whose sha reaches it: that is
the commit range "reachable from D and not from D's previous deployment" with "attributed once"
applied. Per scope, one generation-ordered walk carries on from deployment to deployment and
stops where the history was already shipped, so its cost follows the size of the ranges, not the
length of the history (a walk from every deployment would be quadratic). SQL could only do it
with one recursive step per commit of depth, rescanning the parents each step, hence this one
Python model. Commits are numbered per repo so the walk handles small integers, not shas.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

import duckdb
import pyarrow as pa

TABLE = "int.int_commits__first_deployment"
DEPENDS_ON = ("int.int_deployments__classified", "stg.stg_github__commits")

_SCHEMA = pa.schema(
    [
        ("repo", pa.string()),
        ("service", pa.string()),
        ("environment", pa.string()),
        ("sha", pa.string()),
        ("source", pa.string()),
        ("deployment_id", pa.int64()),
        ("success_seq", pa.int64()),
    ]
)


class History:
    """One repo's commit graph with commits numbered 0..n-1 and only known parents kept."""

    def __init__(self, shas: list[str], parents: list[list[str] | None]) -> None:
        self.shas = shas
        self.number = {sha: i for i, sha in enumerate(shas)}
        number = self.number
        self.parents = [[number[p] for p in ps or () if p in number] for ps in parents]
        self.generation = self._generations()

    def _generations(self) -> list[int]:
        """1 + the highest generation of the known parents (roots 1): parents sort below children.

        That lets a walk visit commits in an order where every descendant comes first (as git's
        commit-graph does).
        """
        parents = self.parents
        generation = [0] * len(parents)
        for root in range(len(parents)):
            if generation[root]:
                continue
            stack = [root]
            while stack:
                commit = stack[-1]
                if generation[commit]:
                    stack.pop()
                    continue
                pending = [p for p in parents[commit] if not generation[p]]
                if pending:
                    stack.extend(pending)
                    continue
                generation[commit] = 1 + max((generation[p] for p in parents[commit]), default=0)
                stack.pop()
        return generation

    def first_deployments(self, deployments: list[tuple[str, int]]) -> list[tuple[int, int]]:
        """For one scope: (commit number, deployment tag) of each commit first shipped by a later
        deployment (the first deployment's own history is its baseline, not listed).

        `deployments` are (sha, tag) in `deployed_at` order; the tag says which deployment. Like `git rev-list new
        --not old...`, the walk pops commits by generation, highest first, so a commit is popped
        only after every walked descendant: if any earlier deployment reaches it, the "already
        shipped" mark has arrived by then. The walk stops as soon as no unshipped commit is left
        in the queue, so the history below a scope's deployments is never walked, and the marks
        carry over from one deployment to the next (one pass per scope in all).
        """
        parents, generation, number = self.parents, self.generation, self.number
        queue: list[tuple[int, int, bool]] = []
        shipped: set[int] = set()  # reached by an earlier deployment of the scope
        closed: set[int] = set()  # popped and settled
        open_new = 0  # queue entries that may still be new commits
        rows = []
        push = heapq.heappush
        for index, (sha, tag) in enumerate(deployments):
            head = number.get(sha)
            if head is None:
                continue  # not in the history: its range cannot be resolved (see data_quality)
            new = index > 0 and head not in shipped and head not in closed
            if not new:
                shipped.add(head)
            open_new += new
            push(queue, (-generation[head], head, new))
            while open_new:
                _, commit, new = heapq.heappop(queue)
                open_new -= new
                if commit in closed:
                    continue
                closed.add(commit)
                if commit in shipped:
                    for parent in parents[commit]:
                        if parent not in closed and parent not in shipped:
                            shipped.add(parent)
                            push(queue, (-generation[parent], parent, False))
                    continue
                rows.append((commit, tag))
                for parent in parents[commit]:
                    if parent not in closed:
                        open_new += 1
                        push(queue, (-generation[parent], parent, True))
            # what this deployment shipped is now closed: later walks stop at it
        return rows


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create `int.int_commits__first_deployment` from the classified deployments and the commits.

    Python only walks and collects (commit row, deployment row) pairs; the output columns are
    gathered from the two Arrow tables by those row numbers.
    """
    deployments = con.sql(
        """
        select repo, service, environment, sha, source, deployment_id, success_seq
        from int.int_deployments__classified
        where outcome = 'success' and sha is not null
        order by repo, service, environment, success_seq
        """
    ).to_arrow_table()
    commits = con.sql(
        "select repo, sha, parents from stg.stg_github__commits order by repo"
    ).to_arrow_table()
    commit_repos = commits.column("repo").to_pylist()
    commit_shas = commits.column("sha").to_pylist()
    commit_parents = commits.column("parents").to_pylist()
    commit_bounds: dict[str, tuple[int, int]] = {}
    for row, repo in enumerate(commit_repos):
        commit_bounds[repo] = (commit_bounds.get(repo, (row, row))[0], row + 1)

    scopes: dict[str, dict[tuple[str, str], list[tuple[str, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    names = ("repo", "service", "environment", "sha")
    columns = [deployments.column(name).to_pylist() for name in names]
    for row, (repo, service, environment, sha) in enumerate(zip(*columns, strict=True)):
        scopes[repo][(service, environment)].append((sha, row))

    commit_rows: list[int] = []
    deployment_rows: list[int] = []
    for repo, repo_scopes in scopes.items():
        start, end = commit_bounds.get(repo, (0, 0))
        history = History(commit_shas[start:end], commit_parents[start:end])
        for scope_deployments in repo_scopes.values():
            if len(scope_deployments) < 2:
                continue  # a lone deployment has only its baseline
            for commit, deployment_row in history.first_deployments(scope_deployments):
                commit_rows.append(start + commit)
                deployment_rows.append(deployment_row)
    by_deployment = deployments.take(pa.array(deployment_rows, pa.int64()))
    reached = pa.table(
        {
            "repo": by_deployment.column("repo"),
            "service": by_deployment.column("service"),
            "environment": by_deployment.column("environment"),
            "sha": commits.column("sha").take(pa.array(commit_rows, pa.int64())),
            "source": by_deployment.column("source"),
            "deployment_id": by_deployment.column("deployment_id"),
            "success_seq": by_deployment.column("success_seq"),
        }
    ).cast(_SCHEMA)
    con.register("_reached", reached)
    try:
        con.execute(f"create or replace table {TABLE} as select * from _reached")
    finally:
        con.unregister("_reached")
