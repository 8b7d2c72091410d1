"""Per-repository indexes and queries that let the server answer any page without scanning payloads.

Runs are kept newest first with their creation times in a parallel array, so a `created` window
is two bisects; other filters scan only that window. Commit history is walked once per head
(topological, newest first, like `git log`) and cached. Nothing here renders JSON.
"""

from __future__ import annotations

import heapq
import re
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta

from simulator.records import Commit, Deployment, Issue, Job, PullRequest, Repository, WorkflowRun


class QueryError(ValueError):
    """A query parameter GitHub would reject (422)."""


# --- `created` filter: GitHub's search date syntax ---

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_point(text: str) -> tuple[float, float]:
    """A date or timestamp as [start, end) epoch seconds (a date spans its whole UTC day)."""
    text = text.strip()
    if _DATE.match(text):
        day = datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        return day.timestamp(), (day + timedelta(days=1)).timestamp()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"invalid date '{text}'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp(), moment.timestamp() + 1


def parse_created(expr: str) -> tuple[float, float]:
    """`2024-05-01`, `>=…`, `>…`, `<=…`, `<…`, `a..b`, `a..*`, `*..b` -> [lo, hi) epoch seconds."""
    expr = expr.strip()
    lo, hi = float("-inf"), float("inf")
    if ".." in expr:
        left, right = expr.split("..", 1)
        if left.strip() != "*":
            lo = _parse_point(left)[0]
        if right.strip() != "*":
            hi = _parse_point(right)[1]
        return lo, hi
    for op in (">=", "<=", ">", "<"):
        if expr.startswith(op):
            start, end = _parse_point(expr[len(op) :])
            return {">=": (start, hi), ">": (end, hi), "<=": (lo, end), "<": (lo, start)}[op]
    return _parse_point(expr)


def parse_time(text: str) -> datetime:
    """An ISO 8601 `since`/`until` parameter."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"invalid timestamp '{text}'") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- The index ---


# Equality filters of the run list, by the field each one reads.
RUN_FIELDS = {
    "event": lambda r: r.event,
    "branch": lambda r: r.head_branch,
    "head_sha": lambda r: r.head_sha,
    "actor": lambda r: r.actor.login,
    "status": lambda r: r.status,
    "conclusion": lambda r: r.conclusion,
    "check_suite_id": lambda r: str(r.id + 10_000_000_000),
}


class RepoIndex:
    """Lookups and sorted views of one repository, rebuilt whenever the organisation changes."""

    COMMIT_ORDER_CACHE = 32

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        newest_first = lambda r: (r.created_at, r.id)  # noqa: E731
        self.runs_desc: list[WorkflowRun] = sorted(repo.runs, key=newest_first, reverse=True)
        self.run_keys: list[float] = [-r.created_at.timestamp() for r in self.runs_desc]
        self.runs_by_id: dict[int, WorkflowRun] = {r.id: r for r in repo.runs}
        self.runs_by_workflow: dict[int, tuple[list[WorkflowRun], list[float]]] = {}
        grouped: dict[int, list[WorkflowRun]] = {}
        for run in self.runs_desc:
            grouped.setdefault(run.workflow_id, []).append(run)
        for wf_id, runs in grouped.items():
            self.runs_by_workflow[wf_id] = (runs, [-r.created_at.timestamp() for r in runs])
        self.workflows = sorted(repo.workflows, key=lambda w: w.id)
        self.deployments_desc: list[Deployment] = sorted(
            repo.deployments, key=lambda d: (d.created_at, d.id), reverse=True
        )
        self.deployments_by_id = {d.id: d for d in repo.deployments}
        self.environments = sorted(repo.environments, key=lambda e: e.name.lower())
        self.pulls_by_number = {p.number: p for p in repo.pulls}
        self.issues_by_number: dict[int, Issue | PullRequest] = {i.number: i for i in repo.issues}
        self.issues_by_number.update(self.pulls_by_number)
        self._jobs_by_id: dict[int, tuple[WorkflowRun, Job]] | None = None
        self._pulls_by_commit: dict[str, list[int]] | None = None
        self._commit_orders: OrderedDict[str, list[str]] = OrderedDict()
        self._positions: OrderedDict[tuple, list[int]] = OrderedDict()
        self._lock = threading.Lock()

    # --- runs ---

    def runs(
        self, workflow_id: int | None, created: str | None
    ) -> tuple[list[WorkflowRun], int, int]:
        """The run list (all, or one workflow's) and the [start, end) slice a `created` filter keeps."""
        if workflow_id is None:
            runs, keys = self.runs_desc, self.run_keys
        else:
            runs, keys = self.runs_by_workflow.get(workflow_id, ([], []))
        if not created:
            return runs, 0, len(runs)
        lo, hi = parse_created(created)
        return runs, bisect_right(keys, -hi), bisect_right(keys, -lo)

    POSITIONS_CACHE = 4096

    def matching_runs(
        self, workflow_id: int | None, created: str | None, filters: list[tuple[str, str]]
    ) -> tuple[list[WorkflowRun], list[int] | range]:
        """Positions (newest first) of the runs passing `created` and the equality filters."""
        runs, lo, hi = self.runs(workflow_id, created)
        if not filters:
            return runs, range(lo, hi)
        windows = []
        for field_name, value in filters:
            positions = self._positions_of(workflow_id, runs, field_name, value)
            windows.append(positions[bisect_left(positions, lo) : bisect_left(positions, hi)])
        windows.sort(key=len)
        if len(windows) == 1:
            return runs, windows[0]
        others = [set(w) for w in windows[1:]]
        return runs, [i for i in windows[0] if all(i in other for other in others)]

    def _positions_of(
        self, workflow_id: int | None, runs: list[WorkflowRun], field_name: str, value: str
    ) -> list[int]:
        key = (workflow_id, field_name, value)
        with self._lock:
            cached = self._positions.get(key)
            if cached is not None:
                self._positions.move_to_end(key)
                return cached
        read = RUN_FIELDS[field_name]
        positions = [i for i, run in enumerate(runs) if read(run) == value]
        with self._lock:
            self._positions[key] = positions
            while len(self._positions) > self.POSITIONS_CACHE:
                self._positions.popitem(last=False)
        return positions

    def job(self, job_id: int) -> tuple[WorkflowRun, Job] | None:
        with self._lock:
            if self._jobs_by_id is None:
                self._jobs_by_id = {j.id: (r, j) for r in self.repo.runs for j in r.jobs}
        return self._jobs_by_id.get(job_id)

    # --- pull requests ---

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        """Pull requests that contain a commit, as head, own commit or merge commit."""
        with self._lock:
            if self._pulls_by_commit is None:
                index: dict[str, list[int]] = {}
                for pr in self.repo.pulls:
                    shas = {pr.head_sha, *pr.commits}
                    if pr.merge_commit_sha:
                        shas.add(pr.merge_commit_sha)
                    for s in shas:
                        index.setdefault(s, []).append(pr.number)
                self._pulls_by_commit = index
        return [self.pulls_by_number[n] for n in sorted(self._pulls_by_commit.get(sha, ()))]

    # --- commits ---

    def resolve(self, ref: str) -> str | None:
        """A branch name, `owner:branch`, full sha or unique sha prefix (>= 7) -> full sha."""
        ref = ref.split(":", 1)[1] if ":" in ref else ref
        ref = ref.removeprefix("refs/heads/")
        if ref in self.repo.branches:
            return self.repo.branches[ref]
        if ref in self.repo.commits:
            return ref
        if len(ref) >= 7 and re.fullmatch(r"[0-9a-f]+", ref):
            matches = [sha for sha in self.repo.commits if sha.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
        return None

    def commit(self, sha: str) -> Commit | None:
        return self.repo.commits.get(sha)

    def commit_order(self, head: str) -> list[str]:
        """Every commit reachable from `head`, newest first, never a parent before its child."""
        with self._lock:
            cached = self._commit_orders.get(head)
            if cached is not None:
                self._commit_orders.move_to_end(head)
                return cached
        order = self._walk(head)
        with self._lock:
            self._commit_orders[head] = order
            while len(self._commit_orders) > self.COMMIT_ORDER_CACHE:
                self._commit_orders.popitem(last=False)
        return order

    def ancestors(self, head: str) -> set[str]:
        commits = self.repo.commits
        seen: set[str] = set()
        stack = [head]
        while stack:
            sha = stack.pop()
            if sha in seen or sha not in commits:
                continue
            seen.add(sha)
            stack.extend(commits[sha].parents)
        return seen

    def _walk(self, head: str) -> list[str]:
        commits = self.repo.commits
        reachable = self.ancestors(head)
        children = dict.fromkeys(reachable, 0)
        for sha in reachable:
            for parent in commits[sha].parents:
                if parent in children:
                    children[parent] += 1
        heap = [(-commits[head].committer_date.timestamp(), head)] if head in commits else []
        order: list[str] = []
        while heap:
            _, sha = heapq.heappop(heap)
            order.append(sha)
            for parent in commits[sha].parents:
                if parent not in children:
                    continue
                children[parent] -= 1
                if children[parent] == 0:
                    stamp = commits[parent].committer_date.timestamp()
                    heapq.heappush(heap, (-stamp, parent))
        return order

    def compare(self, base: str, head: str) -> tuple[list[str], int, str | None]:
        """(commits of head not in base, oldest first; behind_by; merge base sha)."""
        base_ancestors = self.ancestors(base)
        head_ancestors = self.ancestors(head)
        head_order = self.commit_order(head)
        ahead = [sha for sha in head_order if sha not in base_ancestors]
        ahead.reverse()
        behind = len(base_ancestors - head_ancestors)
        merge_base = next((sha for sha in head_order if sha in base_ancestors), None)
        return ahead, behind, merge_base
