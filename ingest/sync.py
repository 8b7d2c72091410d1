"""One ingest run: the shared store, counters and abort flag, and a repo x stream runner.

The Prefect flow (flows/ingest.py) wires `IngestRun.run_stream` into tasks; tests and the plain
path call `IngestRun.sync_all` directly. Fatal errors (bad token, --max-wait) stop everything;
a repository that does not exist or cannot be read is reported in one line and the others go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from ingest import history
from ingest.client import (
    Aborted,
    AccessDenied,
    BadCredentials,
    GitHubClient,
    GitHubError,
    MaxWaitExceeded,
    NotFound,
    RequestStats,
    RetryPolicy,
    TransientError,
)
from ingest.credentials import AppKey, Credential, CredentialPool
from ingest.history import FOLLOWS_HISTORY, HISTORY_STREAMS, HistoryPass
from ingest.owners import list_owner, wanted
from ingest.store import Store, UpsertCount
from ingest.streams import STREAMS, StreamContext
from ingest.streams.base import ProgressCallback
from settings.config import Settings

log = logging.getLogger("dora.ingest")

FATAL = (BadCredentials, MaxWaitExceeded, Aborted)
HISTORY_TASK = "history"  # the last task of a pass, per repository (ingest.history)
# Which passes a run makes: the regular sync and the deepen passes, or one of them.
HistoryDepth = Literal["all", "recent", "deepen"]


@dataclass
class StreamResult:
    repo: str
    stream: str
    counts: dict[str, UpsertCount] = field(default_factory=dict)
    seen: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    deepen: bool = False  # in a deepen pass (an older slice of history)


@dataclass(frozen=True)
class Pass:
    """One pass of a run: the repositories it syncs and its streams (name -> needs)."""

    deepen: bool
    repos: list[str]
    streams: dict[str, tuple[str, ...]]


def pass_streams(deepen: bool) -> dict[str, tuple[str, ...]]:
    """The streams of a pass in dependency order, each with the streams it waits for, ending
    with the task that records how far back history is complete; a deepen pass runs the
    history streams only, and those that read what they stored."""
    names = (*HISTORY_STREAMS, *FOLLOWS_HISTORY) if deepen else tuple(STREAMS)
    streams = {name: tuple(n for n in STREAMS[name][1] if n in names) for name in names}
    streams[HISTORY_TASK] = HISTORY_STREAMS
    return streams


class RepoUnavailable(GitHubError):
    """The repository does not exist or the token cannot read it (reported, others go on)."""


class IngestRun:
    """Everything the tasks of one `dora ingest` share. The token stays inside the clients."""

    def __init__(
        self,
        settings: Settings,
        db: str | Path,
        token: str | CredentialPool | None,
        *,
        base_url: str | None = None,
        since: date | None = None,
        max_wait: float | None = None,
        policy: RetryPolicy | None = None,
        progress: ProgressCallback | None = None,
        app: AppKey | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = (base_url or settings.github.base_url).rstrip("/")
        since = since or (
            date.fromisoformat(settings.github.since) if settings.github.since else None
        )
        self.since = datetime(since.year, since.month, since.day) if since else None
        self.policy = policy or RetryPolicy(
            max_wait=settings.github.max_wait_seconds if max_wait is None else max_wait
        )
        self.store = Store(db)
        self.stats = RequestStats()
        self.abort = threading.Event()
        self.progress = progress
        self.results: list[StreamResult] = []
        self.unavailable: dict[str, str] = {}  # repo -> one-line reason
        self.notes: list[str] = []  # what the run left out on purpose, for the summary
        # Credentials stay inside the pool and the clients; `app` adds one per owner listed.
        if not isinstance(token, CredentialPool):
            token = CredentialPool([Credential("GITHUB_TOKEN", token)] if token else [])
        self.pool = token
        self.app = app
        self._lock = threading.Lock()
        self._plans: dict[str, HistoryPass | None] = {}  # this pass's slice, per repository
        self._pass_results: dict[tuple[str, str], StreamResult] = {}  # the last, per stream
        self.started = time.monotonic()

    def __repr__(self) -> str:  # never show the token
        return f"IngestRun(base_url={self.base_url!r}, db={str(self.store.path)!r})"

    def close(self) -> None:
        self.store.close()

    def client(self, repo: str | None = None) -> GitHubClient:
        """A client of its own for each worker thread, sharing counters, credentials and the
        abort flag; for `repo`, App credentials of other owners are not used."""
        gh = self.settings.github
        return GitHubClient(
            self.pool,
            self.base_url,
            owner=repo.split("/", 1)[0] if repo else None,
            per_page=gh.per_page,
            seconds_between_requests=gh.seconds_between_requests,
            timeout=gh.timeout_seconds,
            policy=self.policy,
            stats=self.stats,
            abort=self.abort,
        )

    # --- Before the streams ---

    def check_token(self) -> None:
        """`GET /rate_limit` (free): a bad token stops here, before any repository starts."""
        client = self.client()
        try:
            client.check_each_credential(client.url("/rate_limit"))
        except NotFound:
            pass  # GitHub Enterprise Server with rate limiting disabled
        finally:
            client.close()

    def resolve_repos(self, patterns: list[str]) -> list[str]:
        """OWNER/NAME as given; OWNER/* becomes every repository of that organisation or user,
        less archived ones and forks unless the settings include them (`ingest.owners`)."""
        repos: list[str] = []
        if self.app is not None:
            for owner in dict.fromkeys(p.partition("/")[0].lower() for p in patterns):
                self.pool.add(self.app.for_owner(owner))
        client = self.client()
        try:
            for pattern in patterns:
                owner, _, name = pattern.partition("/")
                client.owner = owner
                if name != "*":
                    repos.append(pattern)
                    continue
                try:
                    listed = list_owner(client, owner)
                except NotFound:
                    self.unavailable[pattern] = f"{pattern}: no such organisation or user"
                    continue
                listed, note = wanted(listed, self.settings.github)
                if note:
                    self.notes.append(f"{pattern}: {note}")
                    log.info("%s: %s", pattern, note)
                # a renamed repository keeps the name its rows are stored under (same id)
                stored = dict(self.store.query("select repo_id, repo from raw.repositories"))
                repos.extend(sorted(stored.get(r.repo_id, r.full_name) for r in listed))
        finally:
            client.close()
        return list(dict.fromkeys(repos))

    # --- The streams ---

    def run_stream(
        self, repo: str, stream: str, raise_transient: bool = False, deepen: bool = False
    ) -> StreamResult:
        """Sync one repo x stream in the current pass (`deepen`: an older slice of its history);
        fatal errors raise, others end up in the result."""
        result = StreamResult(repo, stream, deepen=deepen)
        if repo in self.unavailable:
            result.error = "skipped: repository unavailable"
            return result
        if stream == HISTORY_TASK:
            return self._record_history(result)
        since, until = self.since, None
        if stream in HISTORY_STREAMS:
            plan = self.history_pass(repo, deepen)
            if plan is None:
                return result  # nothing older to read for this repository
            since, until = plan.since, plan.until
        function, _ = STREAMS[stream]
        client = self.client(repo)
        ctx = StreamContext(
            client, self.store, repo, stream, self.settings, since, self.progress, until=until
        )
        started = time.monotonic()
        try:
            function(ctx)
        except FATAL:
            raise
        except (NotFound, AccessDenied) as exc:
            if stream == "repository":
                reason = "not found" if isinstance(exc, NotFound) else "no access"
                self.unavailable[repo] = f"{repo}: {reason} (unknown repository or no access)"
                result.error = self.unavailable[repo]
            else:
                result.error = f"{repo} {stream}: {exc}"
        except TransientError as exc:
            result.error = f"{repo} {stream}: {exc}"
            if raise_transient:
                raise
        except GitHubError as exc:
            result.error = f"{repo} {stream}: {exc}"
        finally:
            client.close()
            result.counts, result.seen, result.skipped = ctx.counts, ctx.seen, ctx.skipped
            result.notes = ctx.notes
            result.seconds = time.monotonic() - started
            with self._lock:
                self.results.append(result)
                self._pass_results[repo, stream] = result
        if result.error:
            log.warning("%s", result.error)
        else:
            log.info("%s %s: %d items in %.1f s", repo, stream, result.seen, result.seconds)
        return result

    # --- Newest first: the passes of a run (ingest.history) ---

    def passes(self, repos: list[str], depth: HistoryDepth = "all") -> Iterator[Pass]:
        """The passes of this run, in order: the regular sync of every repository (a first sync
        reads its recent weeks only), then deepen passes over the repositories whose history
        does not reach its target, while they make progress. Run each pass's streams before
        asking for the next."""
        if depth in ("all", "recent"):
            yield self._begin_pass(repos, deepen=False)
        if depth == "recent":
            return
        reached: dict[str, Any] | None = None
        while not self.abort.is_set():
            now = history.deepening(self.store, repos)
            if not now or now == reached:
                return  # complete, or the last pass moved nothing (a stream keeps failing)
            reached = now
            yield self._begin_pass(sorted(now), deepen=True)

    def _begin_pass(self, repos: list[str], deepen: bool) -> Pass:
        with self._lock:
            self._plans.clear()
            self._pass_results.clear()
        return Pass(deepen, repos, pass_streams(deepen))

    def history_pass(self, repo: str, deepen: bool) -> HistoryPass | None:
        """What this pass reads of the repository's history, worked out once per pass."""
        with self._lock:
            if repo not in self._plans:
                if deepen:
                    plan = history.deepen_pass(self.store, self.settings, repo, self.since)
                else:
                    plan = history.recent_pass(self.store, self.settings, repo, self.since)
                self._plans[repo] = plan
            return self._plans[repo]

    def _record_history(self, result: StreamResult) -> StreamResult:
        """The last task of a pass: if every history stream of the repository finished it without
        error, its history is complete back to where the pass reached."""
        with self._lock:
            plan = self._plans.get(result.repo)
            done = [self._pass_results.get((result.repo, s)) for s in HISTORY_STREAMS]
        if plan is not None and all(r is not None and not r.error for r in done):
            history.record(self.store, result.repo, plan)
        return result

    def sync_repo(self, repo: str, one: Pass) -> None:
        """The streams of one pass for one repository, in dependency order (the plain path)."""
        for stream in one.streams:
            if repo in self.unavailable:
                return
            self.run_stream(repo, stream, deepen=one.deepen)

    def sync_all(self, patterns: list[str], depth: HistoryDepth = "all") -> list[str]:
        """Check the token, resolve repos, run every pass over them; returns the repos synced."""
        self.check_token()
        repos = self.resolve_repos(patterns)
        for one in self.passes(repos, depth):
            for repo in one.repos:
                self.sync_repo(repo, one)
        return repos

    @property
    def failed(self) -> bool:
        return bool(self.unavailable) or any(r.error for r in self.results)
