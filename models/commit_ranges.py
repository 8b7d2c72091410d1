"""Which successful deployment first ships each commit, per repo x service x environment.

A commit belongs to the first deployment (in `deployed_at` order) whose sha reaches it: that is
the commit range "reachable from D and not from D's previous deployment" with "attributed once"
applied. Per scope, one generation-ordered walk carries on from deployment to deployment and
stops where the history was already shipped, so its cost follows the size of the ranges, not the
length of the history (a walk from every deployment would be quadratic). SQL could only do it
with one recursive step per commit of depth, rescanning the parents each step, hence this one
Python model.
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


def generations(parents_of: dict[str, list[str]]) -> dict[str, int]:
    """Generation number of every known commit: 1 + the highest of its known parents (roots 1).

    A parent always has a lower generation than its child, which lets a walk visit commits in
    an order where every descendant comes first (as git's commit-graph does).
    """
    generation: dict[str, int] = {}
    for root in parents_of:
        if root in generation:
            continue
        stack = [root]
        while stack:
            commit = stack[-1]
            if commit in generation:
                stack.pop()
                continue
            parents = [p for p in parents_of[commit] if p in parents_of]
            pending = [p for p in parents if p not in generation]
            if pending:
                stack.extend(pending)
                continue
            generation[commit] = 1 + max((generation[p] for p in parents), default=0)
            stack.pop()
    return generation


def first_deployments(
    parents_of: dict[str, list[str]],
    generation: dict[str, int],
    deployments: list[tuple[str, str, int, int]],
) -> list[tuple[str, str, int, int]]:
    """For one scope: (sha, source, deployment_id, seq) of each commit first shipped by a later
    deployment (the first deployment's own history is its baseline and is not listed).

    `deployments` are (sha, source, deployment_id, seq) in seq order. Like `git rev-list new
    --not old...`, the walk pops commits by generation, highest first, so a commit is popped only
    after every walked descendant: if any earlier deployment reaches it, the "already shipped"
    mark has arrived by then. The walk stops as soon as no unshipped commit is left in the
    queue, so the history below a scope's deployments is never walked, and the marks carry over
    from one deployment to the next (one pass per scope in all).
    """
    queue: list[tuple[int, str, bool]] = []
    shipped: set[str] = set()  # reached by an earlier deployment of the scope
    closed: set[str] = set()  # popped and settled
    open_new = 0  # queue entries that may still be new commits
    rows = []

    def push(commit: str, new: bool) -> None:
        nonlocal open_new
        if not new:
            shipped.add(commit)
        open_new += new
        heapq.heappush(queue, (-generation[commit], commit, new))

    for index, (sha, source, deployment_id, seq) in enumerate(deployments):
        if sha not in generation:
            continue  # not in the history: its range cannot be resolved (see data_quality)
        if index == 0:
            push(sha, False)
            continue
        push(sha, sha not in shipped and sha not in closed)
        while open_new:
            _, commit, new = heapq.heappop(queue)
            open_new -= new
            if commit in closed:
                continue
            closed.add(commit)
            if commit in shipped:
                for parent in parents_of[commit]:
                    if parent in generation and parent not in closed and parent not in shipped:
                        push(parent, False)
                continue
            rows.append((commit, source, deployment_id, seq))
            for parent in parents_of[commit]:
                if parent in generation and parent not in closed:
                    push(parent, True)
        # what this deployment shipped is now closed: later walks stop at it
    return rows


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create `int.int_commits__first_deployment` from the classified deployments and the commits."""
    deployments = con.execute(
        """
        select repo, service, environment, sha, source, deployment_id, success_seq
        from int.int_deployments__classified
        where outcome = 'success' and sha is not null
        order by repo, service, environment, success_seq
        """
    ).fetchall()
    scopes: dict[str, dict[tuple[str, str], list]] = defaultdict(lambda: defaultdict(list))
    for repo, service, environment, sha, source, deployment_id, seq in deployments:
        scopes[repo][(service, environment)].append((sha, source, deployment_id, seq))

    columns: dict[str, list] = {name: [] for name in _SCHEMA.names}
    for repo, repo_scopes in scopes.items():
        reader = con.sql(
            "select sha, parents from stg.stg_github__commits where repo = $repo",
            params={"repo": repo},
        ).to_arrow_table()
        parents_of = dict(
            zip(reader.column("sha").to_pylist(), reader.column("parents").to_pylist(), strict=True)
        )
        generation = generations(parents_of)
        for (service, environment), scope_deployments in repo_scopes.items():
            if len(scope_deployments) < 2:
                continue  # a lone deployment has only its baseline
            rows = first_deployments(parents_of, generation, scope_deployments)
            count = len(rows)
            columns["repo"].extend([repo] * count)
            columns["service"].extend([service] * count)
            columns["environment"].extend([environment] * count)
            for name, values in zip(
                ("sha", "source", "deployment_id", "success_seq"),
                zip(*rows, strict=True) if rows else [[]] * 4,
                strict=True,
            ):
                columns[name].extend(values)
    reached = pa.table(columns, schema=_SCHEMA)
    con.register("_reached", reached)
    try:
        con.execute(f"create or replace table {TABLE} as select * from _reached")
    finally:
        con.unregister("_reached")
