"""The body of `dora ingest`: progress bars per repo and stream, the summary, the exit code.

Exit codes: 0 all done; 1 some repository or stream failed (the others were synced);
2 bad arguments or config; 3 the token was rejected; 4 stopped early at --max-wait.
"""

from __future__ import annotations

import re
import sys
import threading
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from flows.logs import quiet_progress
from settings.config import Settings

# Exit codes by why a run stopped early (ingest.summary.StopReason); 1 is "some repo failed".
EXIT_CODES = {"credentials": 3, "max_wait": 4, "aborted": 1}
REPO_PATTERN = re.compile(r"[\w.-]+/([\w.-]+|\*)")


class IngestUsageError(ValueError):
    """A bad argument: reported in one line, exit code 2."""


def check_arguments(repos: list[str], since: str | None, settings: Settings) -> list[str]:
    """Validate what was asked for; returns the repo patterns to ingest."""
    patterns = repos or settings.repos
    if not patterns:
        raise IngestUsageError(
            "no repositories: pass --repo OWNER/NAME or set `repos` in dora.toml"
        )
    for pattern in patterns:
        if not REPO_PATTERN.fullmatch(pattern):
            raise IngestUsageError(f"--repo {pattern!r}: expected OWNER/NAME or OWNER/*")
    if since is not None:
        try:
            date.fromisoformat(since)
        except ValueError:
            raise IngestUsageError(f"--since {since!r}: expected a date as YYYY-MM-DD") from None
    from ingest.credentials import app_from_settings, tokens_from_environment
    from settings.config import ConfigError

    try:
        app = app_from_settings(settings)
    except ConfigError as exc:
        raise IngestUsageError(str(exc)) from None
    if not tokens_from_environment() and app is None:
        raise IngestUsageError(
            "GITHUB_TOKEN is not set (the token is read from GITHUB_TOKEN, else GH_TOKEN, only; "
            "GITHUB_TOKENS or a GitHub App also do)"
        )
    return patterns


class StreamProgress:
    """One line per repo x stream with the items seen so far (thread-safe)."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<40}"),
            TextColumn("{task.completed:>8,.0f} items"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal or quiet_progress(),
        )
        self._tasks: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def __call__(self, repo: str, stream: str, seen: int) -> None:
        with self._lock:
            key = (repo, stream)
            if key not in self._tasks:
                self._tasks[key] = self.progress.add_task(f"{repo} {stream}", total=None)
            self.progress.update(self._tasks[key], completed=seen)


def run_ingest_command(
    settings: Settings,
    repos: list[str],
    since: str | None,
    base_url: str | None,
    db: Path,
    config: Path | None,
    max_wait: float | None,
) -> int:
    """Run the ingest flow with progress bars; print the summary; return the exit code."""
    patterns = check_arguments(repos, since, settings)
    from ingest.store import check_database

    check_database(db)  # a corrupt or unusable file is one line here, not a failed flow run
    from flows.ingest import ingest_with_settings, set_progress_listener

    bars = StreamProgress(Console(stderr=True))
    set_progress_listener(bars)
    try:
        with bars.progress:
            summary = ingest_with_settings(
                settings,
                repos=patterns,
                since=since,
                base_url=base_url,
                db=str(db),
                config=str(config) if config else None,
                max_wait=max_wait,
            )
    finally:
        set_progress_listener(None)
    print(summary.render(), file=sys.stdout, flush=True)
    if summary.stopped:
        print(f"error: {summary.stopped}", file=sys.stderr)
        return EXIT_CODES[summary.stop_reason or "aborted"]
    return 0 if summary.ok else 1
