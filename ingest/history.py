"""Newest first: each repository's recent weeks before anything older, then deeper passes.

A first sync of a repository reads its history streams only back to its *horizon*:
`github.first_sync_days` before its last push (`pushed_at`; now, if that is in the future), or
the configured `since` when that is nearer. Once every repository's recent weeks are in, a
snapshot can be published (`flows.pipeline` does), and *deepen* passes read what is older, newest
first, `github.history_step_days` at a time (0: all of it in one pass), down to the *target*:
`--since`/`github.since`, else the repository's creation.

Per repository, `raw.sync_state` stream `history` says how far back every history stream is
complete: `cursor_at` (None while the first pass is under way) and, in `details`, the target and
the first pass's horizon. A pass moves `cursor_at` only once every history stream of the
repository finished it without error, so a pass cut short (a kill, `--max-wait`) is read again.
The `history_coverage` mart shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingest.store import Store
from settings.config import Settings

HISTORY_STREAMS = ("runs", "deployments", "commits", "pulls", "issues")
# Streams that read what the history streams stored (the files of the commits a deepen pass
# listed), so a deepen pass runs them too; they have no window of their own.
FOLLOWS_HISTORY = ("commit_files",)
STATE_STREAM = "history"
GITHUB_EPOCH = datetime(2008, 1, 1)  # nothing on GitHub is older


@dataclass(frozen=True)
class HistoryPass:
    """What one pass reads of one repository's history: `[since, until)`, or from `since` on."""

    since: datetime | None
    until: datetime | None  # set for a deepen pass: only what is older than this
    reaches: datetime | None  # how far back history is complete once the pass is done
    target: datetime  # how far back history should reach in the end

    @property
    def deepens(self) -> bool:
        return self.until is not None


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


def _repository(store: Store, repo: str) -> tuple[datetime | None, datetime | None]:
    rows = store.query("select created_at, pushed_at from raw.repositories where repo = ?", [repo])
    return rows[0] if rows else (None, None)


def target(store: Store, repo: str, since: datetime | None) -> datetime:
    """How far back the repository's history should reach: `since`, else its creation."""
    created, _ = _repository(store, repo)
    return since or (created.replace(microsecond=0) if created else GITHUB_EPOCH)


def recent_pass(store: Store, settings: Settings, repo: str, since: datetime | None) -> HistoryPass:
    """The regular sync; a repository synced for the first time reads back to its horizon only.

    Writes the repository's history state when it has none yet, before any stream starts: a
    first pass cut short is then resumed with the same horizon.
    """
    goal = target(store, repo, since)
    reached, details = store.state(repo, STATE_STREAM)
    if details:
        start = reached or _parse(details["horizon"])
        if details.get("target") != _iso(goal):  # `--since` moved the target
            _save(store, repo, reached, goal, _parse(details["horizon"]))
        return HistoryPass(start, None, start, goal)
    runs_cursor, runs = store.state(repo, "runs")
    if runs_cursor is not None or runs:
        # Synced before history was tracked: complete back to where its runs were read from.
        start = _parse(runs["floor"]) if runs.get("floor") else goal
        _save(store, repo, start, goal, start)
        return HistoryPass(start, None, start, goal)
    horizon = goal
    if settings.github.first_sync_days:
        _, pushed = _repository(store, repo)
        now = datetime.now(UTC).replace(tzinfo=None)
        anchor = min(pushed, now) if pushed else now
        day = (anchor - timedelta(days=settings.github.first_sync_days)).date()
        horizon = max(goal, datetime(day.year, day.month, day.day))
    _save(store, repo, None, goal, horizon)
    return HistoryPass(horizon, None, horizon, goal)


def deepen_pass(
    store: Store, settings: Settings, repo: str, since: datetime | None
) -> HistoryPass | None:
    """The next older slice of the repository's history, or None when there is none to read."""
    goal = target(store, repo, since)
    reached, details = store.state(repo, STATE_STREAM)
    if reached is None or reached <= goal:
        return None  # its first pass is not done yet, or its history is complete
    step = settings.github.history_step_days
    start = max(goal, reached - timedelta(days=step)) if step else goal
    return HistoryPass(start, reached, start, goal)


def record(store: Store, repo: str, done: HistoryPass) -> None:
    """Every history stream finished `done`: history is complete back to where it reaches."""
    _, details = store.state(repo, STATE_STREAM)
    horizon = _parse(details["horizon"]) if details.get("horizon") else done.reaches
    _save(store, repo, done.reaches, done.target, horizon)


def _save(
    store: Store, repo: str, reached: datetime | None, goal: datetime, horizon: datetime | None
) -> None:
    details = {"target": _iso(goal), "horizon": _iso(horizon) if horizon else None}
    with store.transaction() as tx:
        tx.set_state(repo, STATE_STREAM, reached, details)


def _states(store: Store, repos: list[str] | None) -> list[tuple[str, datetime | None, datetime]]:
    rows = store.query(
        "select repo, cursor_at, details->>'target' from raw.sync_state where stream = ?",
        [STATE_STREAM],
    )
    wanted = None if repos is None else set(repos)
    return [
        (repo, reached, _parse(goal) if goal else GITHUB_EPOCH)
        for repo, reached, goal in rows
        if wanted is None or repo in wanted
    ]


def pending(store: Store, repos: list[str] | None = None) -> list[str]:
    """Repositories whose history does not reach its target yet (or whose first pass is not
    done), among `repos` (default: every repository with a history state)."""
    return sorted(
        repo for repo, reached, goal in _states(store, repos) if reached is None or reached > goal
    )


def deepening(store: Store, repos: list[str]) -> dict[str, datetime]:
    """Repositories a deepen pass reads (first pass done, target not reached): how far back
    their history reaches now."""
    return {
        repo: reached
        for repo, reached, goal in _states(store, repos)
        if reached is not None and reached > goal
    }


def pending_in(db: str | Path) -> list[str]:
    """`pending` of a raw database on its own, opened read-only (a shard's `raw-<k>.duckdb`);
    none when the file or its history state does not exist yet."""
    if not Path(db).exists():
        return []
    with duckdb.connect(str(db), read_only=True) as con:
        if not con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' "
            "and table_name = 'sync_state'"
        ).fetchone()[0]:
            return []
        rows = con.execute(
            "select repo from raw.sync_state where stream = ? and (cursor_at is null or "
            "cursor_at > cast(details->>'target' as timestamp)) order by repo",
            [STATE_STREAM],
        ).fetchall()
    return [repo for (repo,) in rows]
