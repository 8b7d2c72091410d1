"""The `ingest` Prefect flow: GitHub -> raw DuckDB tables, one task per repo x stream.

The logic lives in `ingest.sync.IngestRun`; this module only wires it: tasks retry on I/O
(`TransientError`), the thread pool bounds concurrency, and a stream waits for the streams of
its repo that it depends on. Credentials (GITHUB_TOKENS, GITHUB_TOKEN, a GitHub App's
key) are read inside the flow, never passed as a parameter (Prefect stores those).
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from ingest.client import Aborted, TransientError
from ingest.credentials import CredentialPool, app_from_settings, tokens_from_environment
from ingest.streams import STREAMS
from ingest.streams.base import ProgressCallback
from ingest.summary import IngestSummary
from ingest.sync import FATAL, IngestRun
from settings.config import Settings, load_settings
from settings.paths import DEFAULT_DB

# Runs in progress, by key: tasks get the key, not the run (which holds the token and the store).
_RUNS: dict[str, IngestRun] = {}
_RUNS_LOCK = threading.Lock()
_progress: ProgressCallback | None = None


def set_progress_listener(listener: ProgressCallback | None) -> None:
    """Where tasks report (repo, stream, items seen); the CLI draws progress bars from it."""
    global _progress
    _progress = listener


def _is_transient(task, task_run, state) -> bool:  # noqa: ANN001 (Prefect's callback signature)
    """Retry a task only when it failed on I/O that outlasted the client's own retries."""
    try:
        state.result()
    except TransientError:
        return True
    except Exception:  # noqa: BLE001 (anything else is not worth a retry)
        return False
    return False


@task(
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_is_transient,
    cache_policy=NO_CACHE,
    task_run_name="{stream}:{repo}",
)
def sync_stream(run_key: str, repo: str, stream: str) -> str | None:
    """Sync one repo x stream; returns its error line, if any."""
    return _RUNS[run_key].run_stream(repo, stream, raise_transient=True).error


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest(
    repos: list[str] | None = None,
    since: str | None = None,
    base_url: str | None = None,
    db: str = str(DEFAULT_DB),
    config: str | None = None,
    max_wait: float | None = None,
) -> IngestSummary:
    """Pull every stream of every repository into the raw tables, incrementally."""
    settings = load_settings(config)
    return run_ingest(settings, repos, since, base_url, db, max_wait)


def run_ingest(
    settings: Settings,
    repos: list[str] | None,
    since: str | None,
    base_url: str | None,
    db: str,
    max_wait: float | None,
) -> IngestSummary:
    """The body of the flow: check the token, list the repos, then the task graph."""
    started = time.monotonic()
    run = IngestRun(
        settings,
        db,
        CredentialPool(tokens_from_environment()),  # read here, never a flow parameter
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
    stopped: str | None = None
    try:
        # --- Check the token and find the repositories ---
        try:
            run.check_token()
            names = run.resolve_repos(repos or settings.repos)
        except FATAL as exc:
            stopped = str(exc)
        # --- Extract and load: one task per repo x stream ---
        if stopped is None:
            stopped = _run_tasks(key, names)
    finally:
        with _RUNS_LOCK:
            _RUNS.pop(key, None)
        run.close()
    return IngestSummary.build(
        names, run.results, run.stats, time.monotonic() - started, run.unavailable, stopped
    )


def _run_tasks(key: str, repos: list[str]) -> str | None:
    """Submit the task graph and wait; the reason the run stopped early, if it did."""
    futures = {}
    for repo in repos:
        for stream, (_, needs) in STREAMS.items():
            futures[repo, stream] = sync_stream.submit(
                key, repo, stream, wait_for=[futures[repo, n] for n in needs]
            )
    reasons: list[BaseException] = []
    for future in futures.values():
        future.wait()
        try:
            future.result()
        except FATAL as exc:
            reasons.append(exc)
        except Exception:  # noqa: BLE001 (already recorded in the run's results)
            pass
    # The first cause, not the tasks that stopped because of it.
    primary = next((r for r in reasons if not isinstance(r, Aborted)), None)
    primary = primary or (reasons[0] if reasons else None)
    return str(primary) if primary is not None else None


def ingest_with_settings(settings: Settings, **parameters: object) -> IngestSummary:
    """Run the flow with the task pool sized from the settings (`github.concurrency`)."""
    runner = ThreadPoolTaskRunner(max_workers=settings.github.concurrency)
    for name in ("db", "config"):  # flow parameters are plain strings (Prefect stores them)
        if parameters.get(name) is not None:
            parameters[name] = str(parameters[name])
    return ingest.with_options(task_runner=runner)(**parameters)
