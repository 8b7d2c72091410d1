"""The ingest: GitHub -> raw DuckDB tables, one task per repo x stream.

The logic lives in `ingest.sync.IngestRun`; this module only wires it into a task graph: a
stream waits for the streams of its repo that it depends on, at most `github.concurrency` run at
once, and a task that failed on I/O (`TransientError`) runs again. `ingest_with_settings` runs the
graph as a Prefect flow run when a server is configured (`flows.ingest_flow`), else in this
process with the same graph, retries and bounds. The token is read from the environment inside
the run (GITHUB_TOKENS, GITHUB_TOKEN or GH_TOKEN, a GitHub App's key), never passed as a
parameter (Prefect stores those).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flows.engine import Call, LocalTaskGraph, RetryPolicy, use_prefect
from flows.shards import shard_of
from ingest import history
from ingest.client import Aborted, BadCredentials, MaxWaitExceeded, TransientError
from ingest.credentials import (
    CredentialPool,
    app_from_settings,
    for_shard,
    tokens_from_environment,
)
from ingest.streams.base import ProgressCallback
from ingest.summary import IngestSummary, StopReason
from ingest.sync import FATAL, HistoryDepth, IngestRun, Pass
from settings.config import Settings
from settings.paths import DEFAULT_DB

log = logging.getLogger("dora.flows")
# Retried twice on I/O that outlasted the client's own retries, 5 s then 30 s later.
STREAM_RETRY = RetryPolicy(delays=(5.0, 30.0), retry_on=(TransientError,))

StreamKey = tuple[str, str]  # (repo, stream)
GraphRunner = Callable[[Mapping[StreamKey, Call[StreamKey]]], dict[StreamKey, Any]]

# Runs in progress, by key: tasks get the key, not the run (which holds the token and the store).
_RUNS: dict[str, IngestRun] = {}
_RUNS_LOCK = threading.Lock()
_progress: ProgressCallback | None = None


def set_progress_listener(listener: ProgressCallback | None) -> None:
    """Where tasks report (repo, stream, items seen); the CLI draws progress bars from it."""
    global _progress
    _progress = listener


def sync_stream(run_key: str, repo: str, stream: str, deepen: bool = False) -> str | None:
    """Sync one repo x stream (`deepen`: an older slice of its history); its error line, if any."""
    return _RUNS[run_key].run_stream(repo, stream, raise_transient=True, deepen=deepen).error


def run_ingest(
    settings: Settings,
    repos: list[str] | None,
    since: str | None,
    base_url: str | None,
    db: str,
    max_wait: float | None,
    run_graph: GraphRunner,
    shard: tuple[int, int] | None = None,
    depth: HistoryDepth = "all",
) -> IngestSummary:
    """Check the token, list the repos, then run each pass's task graph through `run_graph`.

    `shard` = (k, n): only the repositories of shard k of n (`flows.shards`), resolved from
    the same patterns by every shard, each against its own raw database. `depth`: the regular
    sync then the passes that deepen history ("all"), or one of them ("recent", "deepen").
    """
    started = time.monotonic()
    run = IngestRun(
        settings,
        db,
        # read here, never a flow parameter; a shard uses its own share of the tokens
        CredentialPool(for_shard(tokens_from_environment(), *(shard or (0, 1)))),
        base_url=base_url,
        since=date.fromisoformat(since) if since else None,
        max_wait=max_wait,
        progress=_progress,
        app=app_from_settings(settings),
    )
    key = uuid.uuid4().hex
    with _RUNS_LOCK:
        _RUNS[key] = run
    names: list[str] = []
    stopped: BaseException | None = None
    try:
        # --- Check the token and find the repositories ---
        try:
            run.check_token()
            names = run.resolve_repos(repos or settings.repos)
            if shard is not None:
                names = [name for name in names if shard_of(name, shard[1]) == shard[0]]
            if settings.teams_from_github and (shard is None or shard[0] == 0):
                from ingest.teams import sync_org_teams

                sync_org_teams(run, repos or settings.repos)
        except FATAL as exc:
            stopped = exc
        # --- Extract and load: one task per repo x stream, pass after pass ---
        if stopped is None:
            try:
                for one in run.passes(names, depth):
                    stopped = _first_cause(run_graph(_stream_calls(key, one)))
                    if stopped is not None:
                        break
            except BaseException:  # interrupted: the running streams stop at their next request
                run.abort.set()
                raise
        pending = history.pending(run.store, names)
    finally:
        with _RUNS_LOCK:
            _RUNS.pop(key, None)
        run.close()
    return IngestSummary.build(
        names,
        run.results,
        run.stats,
        time.monotonic() - started,
        run.unavailable,
        stopped=str(stopped) if stopped else None,
        stop_reason=stop_reason(stopped),
        run_notes=run.notes,
        history_pending=pending,
    )


def stop_reason(error: BaseException | None) -> StopReason | None:
    """Why a run stopped early, from the exception's type (the exit code follows from it)."""
    if error is None:
        return None
    if isinstance(error, BadCredentials):
        return "credentials"
    if isinstance(error, MaxWaitExceeded):
        return "max_wait"
    return "aborted"


def _stream_calls(key: str, one: Pass) -> dict[StreamKey, Call[StreamKey]]:
    """One call per repo x stream of a pass, each waiting for the streams of its repo it
    depends on."""
    return {
        (repo, stream): Call((key, repo, stream, one.deepen), needs=[(repo, n) for n in needs])
        for repo in one.repos
        for stream, needs in one.streams.items()
    }


def _first_cause(outcomes: dict[StreamKey, Any]) -> BaseException | None:
    """The fatal error that stopped the run, not the tasks that stopped because of it."""
    reasons = [o for o in outcomes.values() if isinstance(o, FATAL)]
    primary = next((r for r in reasons if not isinstance(r, Aborted)), None)
    return primary or (reasons[0] if reasons else None)


def ingest_with_settings(settings: Settings, **parameters: Any) -> IngestSummary:
    """Ingest with the task pool sized from the settings (`github.concurrency`), as a Prefect
    flow run when a server is configured, else in this process."""
    for name in ("db", "config"):  # flow parameters are plain strings (Prefect stores them)
        if parameters.get(name) is not None:
            parameters[name] = str(parameters[name])
    if use_prefect():
        from flows.ingest_flow import ingest_flow_run

        log.info("ingest: a flow run on the Prefect server (PREFECT_API_URL)")
        return ingest_flow_run(settings, parameters)
    log.info("ingest: in this process (no PREFECT_API_URL)")
    graph = LocalTaskGraph(settings.github.concurrency, STREAM_RETRY)
    return run_ingest(
        settings,
        parameters.get("repos"),
        parameters.get("since"),
        parameters.get("base_url"),
        parameters.get("db") or str(DEFAULT_DB),
        parameters.get("max_wait"),
        lambda calls: graph.run(sync_stream, calls),
        depth=parameters.get("depth") or "all",
    )
