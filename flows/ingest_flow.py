"""The `ingest` Prefect flow: the ingest's task graph as task runs on a Prefect server.

Used when `PREFECT_API_URL` is set, by `dora serve`'s pipeline and by work-pool deployments;
without a server `flows.ingest` runs the same graph in-process.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.engine import run_prefect_graph
from flows.ingest import STREAM_RETRY, run_ingest, sync_stream
from ingest.summary import IngestSummary
from ingest.sync import HistoryDepth
from settings.config import Settings, load_settings
from settings.paths import DEFAULT_DB

REJECTED = "Rejected"  # the state of a shard run whose credentials GitHub rejected

sync_stream_task = task(
    sync_stream,
    name="sync_stream",
    retries=len(STREAM_RETRY.delays),
    retry_delay_seconds=list(STREAM_RETRY.delays),
    retry_condition_fn=STREAM_RETRY.prefect_condition(),
    cache_policy=NO_CACHE,
    task_run_name="{stream}:{repo}",
)


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest(
    repos: list[str] | None = None,
    since: str | None = None,
    base_url: str | None = None,
    db: str = str(DEFAULT_DB),
    config: str | None = None,
    max_wait: float | None = None,
    shard: int | None = None,
    shards: int = 1,
    depth: HistoryDepth = "all",
) -> IngestSummary:
    """Pull every stream of every repository (of shard `shard` of `shards`, when given) into
    the raw tables, incrementally; `depth`: also deepen history ("all"), or only one of the
    two ("recent", "deepen")."""
    settings = load_settings(config)
    summary = run_ingest(
        settings,
        repos,
        since,
        base_url,
        db,
        max_wait,
        lambda calls: run_prefect_graph(sync_stream_task, calls),
        shard=(shard, shards) if shard is not None else None,
        depth=depth,
    )
    if shard is not None and summary.stop_reason == "credentials":
        # The coordinating pipeline reads shard runs' states only: say it in the state's name.
        return Failed(name=REJECTED, message=f"ingest stopped: {summary.stopped}")
    return summary


def ingest_flow_run(settings: Settings, parameters: dict[str, Any]) -> IngestSummary:
    """One `ingest` flow run with the task pool sized from `github.concurrency`."""
    runner = ThreadPoolTaskRunner(max_workers=settings.github.concurrency)
    return ingest.with_options(task_runner=runner)(**parameters)
