"""The one-screen summary that ends `dora ingest`: rows per table, requests, 304s, waits, errors."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from ingest.client import RequestStats
from ingest.store import UpsertCount
from ingest.sync import StreamResult

# Why a run stopped early: the token was rejected, --max-wait was reached, or it was aborted.
StopReason = Literal["credentials", "max_wait", "aborted"]

TABLE_ORDER = (
    "repositories",
    "workflows",
    "workflow_files",
    "environments",
    "workflow_runs",
    "workflow_jobs",
    "deployments",
    "deployment_statuses",
    "commits",
    "compared_shas",
    "commit_files",
    "pull_requests",
    "pull_request_commits",
    "issues",
)


@dataclass
class IngestSummary:
    """What one ingest run did, as plain data (returned by the flow, printed by the CLI)."""

    repos: list[str]
    rows: dict[str, UpsertCount]
    requests: int
    not_modified: int
    retries: int
    waited_seconds: float
    rate_remaining: int | None
    rate_limit: int | None
    skipped_items: int
    seconds: float
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (bad token, --max-wait), in words
    stop_reason: StopReason | None = None  # the same, as a kind the exit code is chosen from
    # repositories whose history does not reach back to its target yet (ingest.history)
    history_pending: list[str] = field(default_factory=list)

    @property
    def charged(self) -> int:
        return self.requests - self.not_modified

    @property
    def ok(self) -> bool:
        return not self.errors and self.stopped is None

    @classmethod
    def build(
        cls,
        repos: list[str],
        results: list[StreamResult],
        stats: RequestStats,
        seconds: float,
        unavailable: dict[str, str],
        stopped: str | None = None,
        stop_reason: StopReason | None = None,
        run_notes: list[str] = (),
        history_pending: list[str] = (),
    ) -> IngestSummary:
        rows: dict[str, UpsertCount] = defaultdict(UpsertCount)
        for result in results:
            for table, count in result.counts.items():
                rows[table].add(count)
        # A stream retried after a transient error counts as failed only if its last try (in
        # the same pass) failed.
        last = {(r.repo, r.stream, r.deepen): r for r in results}
        errors = list(unavailable.values()) + [
            r.error for r in last.values() if r.error and not r.error.startswith("skipped")
        ]
        return cls(
            repos=repos,
            rows=dict(rows),
            requests=stats.requests,
            not_modified=stats.not_modified,
            retries=stats.retries,
            waited_seconds=stats.waited_seconds,
            rate_remaining=stats.rate_remaining,
            rate_limit=stats.rate_limit,
            skipped_items=sum(r.skipped for r in results),
            seconds=seconds,
            errors=list(dict.fromkeys(errors)),
            notes=[*run_notes, *(f"{r.repo}: {note}" for r in results for note in r.notes)],
            stopped=stopped,
            stop_reason=stop_reason,
            history_pending=list(history_pending),
        )

    def render(self) -> str:
        lines = [f"Ingested {len(self.repos)} repositories in {self.seconds:.1f} s"]
        lines.append(f"  {'table':<22}{'new':>10}{'updated':>10}")
        for table in sorted(
            self.rows,
            key=lambda t: (
                t not in TABLE_ORDER,
                TABLE_ORDER.index(t) if t in TABLE_ORDER else 0,
                t,
            ),
        ):
            count = self.rows[table]
            lines.append(f"  {table:<22}{count.new:>10,}{count.updated:>10,}")
        rate = (
            f"{self.rate_remaining:,} of {self.rate_limit:,}"
            if self.rate_remaining is not None and self.rate_limit is not None
            else "unknown"
        )
        lines += [
            f"  requests {self.requests:,} (304 not modified: {self.not_modified:,}, "
            f"charged: {self.charged:,}, retried: {self.retries:,})",
            f"  rate limit left {rate}; waited {self.waited_seconds:.1f} s",
        ]
        if self.history_pending:
            lines.append(
                f"  history: {len(self.history_pending)} of {len(self.repos)} repositories do "
                "not reach back to their target yet (the next runs go on, newest first)"
            )
        if self.skipped_items:
            lines.append(f"  malformed items skipped: {self.skipped_items} (see raw.skipped_items)")
        lines += [f"  note: {note}" for note in self.notes[:10]]
        if len(self.notes) > 10:
            lines.append(f"  ... and {len(self.notes) - 10} more notes")
        lines += [f"  error: {error}" for error in self.errors]
        if self.stopped:
            lines.append(f"  stopped early: {self.stopped}")
        return "\n".join(lines)
