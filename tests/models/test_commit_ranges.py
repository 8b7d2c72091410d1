"""The commit-range walk (models/commit_ranges.py) against a plain reachability walk done here.

A commit belongs to the first deployment, in order, whose sha reaches it; the first deployment's
history is its baseline and is not listed; a deployment whose sha is unknown ships nothing and
stops nothing.
"""

from __future__ import annotations

import random

import pytest

from models.commit_ranges import History


def _reachable(parents: dict[str, list[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        commit = stack.pop()
        if commit in parents and commit not in seen:
            seen.add(commit)
            stack.extend(parents[commit])
    return seen


def _expected(parents: dict[str, list[str]], deployments: list[tuple[str, int]]) -> set[tuple[str, int]]:  # fmt: skip
    """(sha, tag) of each commit first reached by a deployment after the first one."""
    shipped: set[str] = set()
    rows = set()
    for index, (sha, tag) in enumerate(deployments):
        reached = _reachable(parents, sha)
        if index > 0:
            rows |= {(commit, tag) for commit in reached - shipped}
        shipped |= reached
    return rows


def _walk(parents: dict[str, list[str]], deployments: list[tuple[str, int]]) -> set[tuple[str, int]]:  # fmt: skip
    shas = list(parents)
    random.Random(len(shas)).shuffle(shas)  # the walk must not depend on the listing order
    history = History(shas, [parents[s] for s in shas])
    rows = history.first_deployments(deployments)
    assert len(rows) == len(set(rows)), "a commit is listed once"
    return {(shas[commit], tag) for commit, tag in rows}


def test_a_linear_history_by_hand():
    parents = {"a": [], "b": ["a"], "c": ["b"], "d": ["c"], "e": ["d"]}
    # b is the baseline; c and d ship with 11, e with 12; a redeploy of d (13) ships nothing
    assert _walk(parents, [("b", 10), ("d", 11), ("d", 13), ("e", 12)]) == {
        ("c", 11),
        ("d", 11),
        ("e", 12),
    }


def test_an_unknown_sha_ships_nothing_and_the_walk_goes_on():
    parents = {"a": [], "b": ["a"], "c": ["b"]}
    assert _walk(parents, [("a", 1), ("gone", 2), ("c", 3)]) == {("b", 3), ("c", 3)}
    # an unknown first sha is no baseline: the next deployment is still a later one
    assert _walk(parents, [("gone", 1), ("b", 2), ("c", 3)]) == {("a", 2), ("b", 2), ("c", 3)}


def test_a_merge_ships_the_side_branch_once():
    # main: a - b - m (merge of b and f); side branch: a - e - f
    parents = {"a": [], "b": ["a"], "e": ["a"], "f": ["e"], "m": ["b", "f"], "n": ["m"]}
    # f is deployed first from its branch; then main's merge m ships b and m only
    assert _walk(parents, [("a", 1), ("f", 2), ("m", 3), ("n", 4)]) == {
        ("e", 2),
        ("f", 2),
        ("b", 3),
        ("m", 3),
        ("n", 4),
    }


def _random_history(rng: random.Random, size: int) -> dict[str, list[str]]:
    """A DAG with branches and merges; parents always come earlier (git's topological order)."""
    parents: dict[str, list[str]] = {}
    names = []
    for i in range(size):
        name = f"c{i:03d}"
        if not names or rng.random() < 0.04:
            parents[name] = []  # a root (git allows several: orphan branches, merged histories)
        else:
            count = 2 if rng.random() < 0.25 and len(names) > 1 else 1
            # mostly a recent parent (branch tips), sometimes an old one (long-lived branches)
            chosen = {names[max(0, len(names) - 1 - int(rng.expovariate(0.3)))] for _ in range(count)}  # fmt: skip
            parents[name] = sorted(chosen)
        names.append(name)
    return parents


@pytest.mark.parametrize("seed", range(200))
def test_random_histories_match_the_plain_walk(seed):
    rng = random.Random(seed)
    parents = _random_history(rng, rng.randint(5, 60))
    names = list(parents)
    deployments = []
    for tag in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.1:
            sha = "unknown-sha"
        elif roll < 0.2 and deployments:
            sha = deployments[-1][0]  # a redeploy
        else:
            sha = rng.choice(names)  # forwards, backwards (a rollback), or another branch
        deployments.append((sha, tag))
    assert _walk(parents, deployments) == _expected(parents, deployments)
