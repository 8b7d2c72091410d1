"""The order of the stages, from evidence: the YAML first, then the run history, then the roles.

Each pair of stage workflows is decided by the first source that speaks about it: (1) an
explicit dependency in the YAML (a `workflow_run` trigger, or a workflow that already calls both
in a `needs:` chain); (2) the order people dispatched them in the production releases where both
ran, when one order holds in at least `MIN_SHARE` of them (one release that nothing contradicts
is enough: a habit shows once); for two workflows never run in one release, the order people ran
workflows of their two roles in (a team that puts service accounts before one database puts
them before the other); (3) the usual order of their roles. Edges go in by that priority
(direct history before history by role, stronger first); one that would close a cycle is
dropped and reported. Stages are the longest-path levels of what remains, and a job `needs:`
only its direct predecessors (the transitive reduction).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

from orchestrator.estate import Step

MIN_RELEASES = 1
MIN_SHARE = 0.75


@dataclass(frozen=True)
class Edge:
    """`before` runs before `after`, because of `source` (yaml | history | role)."""

    before: str
    after: str
    source: str
    detail: str
    priority: int = 0  # 0 yaml, 1 direct history, 2 history by role, 3 role


@dataclass
class Order:
    """Stage levels (0 first), the edges a job needs, and evidence left out to avoid a cycle."""

    levels: dict[str, int]
    edges: list[Edge]
    dropped: list[Edge] = field(default_factory=list)
    history: Counter[tuple[str, str]] = field(default_factory=Counter)

    def needs(self, path: str) -> list[str]:
        return sorted(e.before for e in self.edges if e.after == path)


def positions(release: list[Step], paths: set[str]) -> dict[str, int]:
    """Where each workflow of `paths` sits in one release: a workflow that deployed production at
    its (first) production run, any other at its first run."""
    position: dict[str, int] = {}
    for index, step in enumerate(release):
        if step.workflow_path not in paths:
            continue
        if step.deploys_production and not _deployed(release, step.workflow_path, index):
            position[step.workflow_path] = index
        else:
            position.setdefault(step.workflow_path, index)
    return position


def agreement(levels: dict[str, int], releases: list[list[Step]]) -> tuple[int, int]:
    """(releases whose order the stages keep, releases that ran two or more stage workflows):
    a release disagrees when it ran a workflow of a later stage before one of an earlier stage."""
    kept = informative = 0
    for release in releases:
        position = positions(release, set(levels))
        if len(position) < 2:
            continue
        informative += 1
        ran = sorted(position, key=position.get)
        kept += all(levels[a] <= levels[b] for a, b in combinations(ran, 2))
    return kept, informative


def history_counts(releases: list[list[Step]], paths: set[str]) -> Counter[tuple[str, str]]:
    """(a, b) -> releases in which a was dispatched before b (at their `positions`)."""
    before: Counter[tuple[str, str]] = Counter()
    for release in releases:
        position = positions(release, paths)
        for a, b in combinations(sorted(position, key=position.get), 2):
            before[(a, b)] += 1
    return before


def _deployed(release: list[Step], path: str, index: int) -> bool:
    """Did an earlier run of `path` in this release already deploy production?"""
    return any(s.workflow_path == path and s.deploys_production for s in release[:index])


def decide(
    a: str,
    b: str,
    yaml_edges: dict[tuple[str, str], str],
    history: Counter[tuple[str, str]],
    ranks: dict[str, int | None],
    role_names: dict[str, str | None],
) -> Edge | None:
    """The edge between a and b from the first source that speaks, or None (they may run side by side)."""
    for x, y in ((a, b), (b, a)):
        if (x, y) in yaml_edges:
            return Edge(x, y, "yaml", yaml_edges[(x, y)], 0)
    ab, ba = history[(a, b)], history[(b, a)]
    if _decisive(ab, ba):
        x, y, n = (a, b, ab) if ab >= ba else (b, a, ba)
        return Edge(x, y, "history", f"dispatched first in {n} of {ab + ba} releases", 1)
    ra, rb = role_names.get(a), role_names.get(b)
    if ab + ba == 0 and ra and rb and ra != rb:
        by_role = _by_role(history, role_names)
        rab, rba = by_role[(ra, rb)], by_role[(rb, ra)]
        if _decisive(rab, rba):
            x, y, n = (a, b, rab) if rab >= rba else (b, a, rba)
            first, then = (ra, rb) if x == a else (rb, ra)
            return Edge(x, y, "history", f"never in one release; {first} workflows ran before "
                        f"{then} ones in {n} of {rab + rba} pairs", 2)  # fmt: skip
    ka, kb = ranks.get(a), ranks.get(b)
    if ka is not None and kb is not None and ka != kb:
        x, y = (a, b) if ka < kb else (b, a)
        note = f"{role_names[x]} before {role_names[y]}"
        if ab + ba:
            note += f" (history unclear: {ab} vs {ba} releases)"
        return Edge(x, y, "role", note, 3)
    return None


def _decisive(ab: int, ba: int) -> bool:
    return ab + ba >= MIN_RELEASES and max(ab, ba) >= MIN_SHARE * (ab + ba)


def _by_role(
    history: Counter[tuple[str, str]], role_names: dict[str, str | None]
) -> Counter[tuple[str, str]]:
    """(role a, role b) -> how often a workflow of role a ran before one of role b."""
    counts: Counter[tuple[str, str]] = Counter()
    for (a, b), n in history.items():
        ra, rb = role_names.get(a), role_names.get(b)
        if ra and rb and ra != rb:
            counts[(ra, rb)] += n
    return counts


def order_stages(
    paths: list[str],
    yaml_edges: dict[tuple[str, str], str],
    releases: list[list[Step]],
    role_names: dict[str, str | None],
    ranks: dict[str, int | None],
) -> Order:
    """Decide every pair, then build the stage levels (see module docstring)."""
    history = history_counts(releases, set(paths))
    candidates = [
        edge
        for a, b in combinations(sorted(paths), 2)
        if (edge := decide(a, b, yaml_edges, history, ranks, role_names)) is not None
    ]

    def strength(edge: Edge) -> tuple:
        evidence = history[(edge.before, edge.after)] - history[(edge.after, edge.before)]
        return (edge.priority, -evidence, edge.before, edge.after)

    successors: dict[str, set[str]] = {p: set() for p in paths}
    kept, dropped = [], []
    for edge in sorted(candidates, key=strength):
        if _reaches(successors, edge.after, edge.before):
            dropped.append(edge)
            continue
        successors[edge.before].add(edge.after)
        kept.append(edge)
    levels = _levels(paths, successors)
    reduced = [e for e in kept if not _reaches(successors, e.before, e.after, skip_direct=True)]
    return Order(levels, reduced, dropped, history)


def _reaches(successors: dict[str, set[str]], start: str, goal: str, skip_direct=False) -> bool:
    """Is `goal` reachable from `start` (with skip_direct: other than by the edge start->goal)?"""
    stack = [n for n in successors[start] if not (skip_direct and n == goal)]
    seen = set(stack)
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in successors[node] - seen:
            seen.add(nxt)
            stack.append(nxt)
    return False


def _levels(paths: list[str], successors: dict[str, set[str]]) -> dict[str, int]:
    """Longest path from a source: a stage starts once everything before it is done."""
    predecessors = {p: {q for q in paths if p in successors[q]} for p in paths}
    levels: dict[str, int] = {}
    remaining = set(paths)
    while remaining:
        ready = sorted(p for p in remaining if predecessors[p] <= levels.keys())
        for p in ready:
            levels[p] = max((levels[q] + 1 for q in predecessors[p]), default=0)
        remaining -= set(ready)
    return levels
