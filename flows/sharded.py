"""Prefect flow `dora-sharded-pipeline`: one ingest flow run per shard on the work pool, then one
build over every shard's raw database and one published snapshot.

The shard runs are runs of the `ingest/shard` deployment, so any worker of the pool (on any
machine that sees the data folder) takes them; this flow waits for them up to
`scale_out.shard_timeout_seconds`, then builds whatever they committed (`models.shards`): a
shard stopped at `--max-wait` is built like any other, a shard whose credentials GitHub rejected
stops the cycle. Newest first, as `flows.pipeline`: shards ingest the regular sync, one snapshot
is published, then the shards whose raw database has older history to read deepen it and it is
published again (not when a shard did not complete the regular sync: the next cycle does).
"""

from __future__ import annotations

import time
from logging import Logger
from pathlib import Path

from prefect import flow, get_run_logger

from flows.build import build_and_publish
from flows.ingest_flow import REJECTED
from flows.pipeline import IngestStopped
from flows.shards import shard_db, shard_dbs
from ingest import history
from ingest.sync import HistoryDepth
from settings.config import load_settings
from settings.paths import DEFAULT_DB

SHARD_DEPLOYMENT = "ingest/shard"
POLL_SECONDS = 2.0


@flow(name="dora-sharded-pipeline")
def sharded_pipeline(db: str = str(DEFAULT_DB), config: str | None = None) -> str:
    """Ingest every shard on the work pool, then build and publish one snapshot over them all;
    newest first: the regular sync is published before older history is read (`ingest.history`)."""
    logger = get_run_logger()
    snapshot, states = cycle(db, config, "recent", logger)
    deepen = shards_to_deepen(db, states, logger)
    if deepen:
        snapshot, _ = cycle(db, config, "deepen", logger, only=deepen, earlier=states)
    return str(snapshot)


def shards_to_deepen(db: str | Path, states: dict[int, str], logger: Logger) -> list[int]:
    """The shards whose raw database has older history to read, after the regular sync ended
    with `states`; none when a shard did not complete it (its file may be partial or locked).

    History state lives in each shard's `raw.sync_state`; the build database only views the
    shards' raw tables during a build, so it cannot be asked."""
    unfinished = sorted(shard for shard, state in states.items() if state != "completed")
    if unfinished:
        logger.info(
            "not deepening history this cycle: shard(s) %s did not complete the regular sync",
            unfinished,
        )
        return []
    pending = {
        shard: repos
        for shard, path in enumerate(shard_dbs(db, len(states)))
        if (repos := history.pending_in(path))
    }
    for shard, repos in sorted(pending.items()):
        logger.info("shard %d: %d repos reach back less than wanted", shard, len(repos))
    return sorted(pending)


def cycle(
    db: str,
    config: str | None,
    depth: HistoryDepth,
    logger: Logger,
    only: list[int] | None = None,
    earlier: dict[int, str] | None = None,
) -> tuple[Path, dict[int, str]]:
    """Every shard's ingest of `depth` (or only those of `only`), then one build over them all;
    its snapshot and how each shard's run ended (`earlier`'s state for a shard not run)."""
    settings = load_settings(config)
    shards = settings.scale_out.shards
    # --- Extract: one ingest flow run per shard, each into its own raw database ---
    timeout = settings.scale_out.shard_timeout_seconds
    ran = run_shards(db, config, shards, timeout, depth, only)
    for shard, state in sorted(ran.items()):
        log = logger.info if state == "completed" else logger.warning
        log("shard %d of %d (%s): %s", shard, shards, depth, state)
    rejected = sorted(shard for shard, state in ran.items() if state == REJECTED.lower())
    if rejected:  # a shard stopped at --max-wait completes, and its rows are built
        raise IngestStopped(f"shard(s) {rejected}: GitHub rejected the credentials")
    states = {**(earlier or {}), **ran}
    # --- Transform and publish: one build over every shard ---
    summary = build_and_publish(db, settings, shards=shard_dbs(db, shards), ingest_states=states)
    logger.info("built %d models over %d shards: %s", summary.models, shards, summary.snapshot)
    return summary.snapshot, states


def run_shards(
    db: str,
    config: str | None,
    shards: int,
    timeout: float,
    depth: HistoryDepth = "all",
    only: list[int] | None = None,
) -> dict[int, str]:
    """Start every shard's run (or those of `only`) at once, wait for them all; each shard's
    final state (lower-case Prefect state type; `rejected` when its credentials were), or `late`
    when it had not ended after `timeout` seconds."""
    from prefect.deployments import run_deployment

    runs = {
        shard: run_deployment(
            SHARD_DEPLOYMENT,
            parameters={
                "db": str(shard_db(db, shard)),
                "config": config,
                "shard": shard,
                "shards": shards,
                "depth": depth,
            },
            timeout=0,  # start it; waiting is below, for all shards at once
            as_subflow=True,
        )
        for shard in (range(shards) if only is None else only)
    }
    return wait_for_runs({shard: run.id for shard, run in runs.items()}, timeout)


def wait_for_runs(run_ids: dict[int, object], timeout: float) -> dict[int, str]:
    from prefect.client.orchestration import get_client

    states: dict[int, str] = {}
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            for shard, run_id in run_ids.items():
                if shard not in states:
                    state = client.read_flow_run(run_id).state
                    if state is not None and state.is_final():
                        rejected = state.name == REJECTED
                        states[shard] = state.name.lower() if rejected else state.type.value.lower()
            if len(states) == len(run_ids) or time.monotonic() > deadline:
                break
            time.sleep(POLL_SECONDS)
    return {shard: states.get(shard, "late") for shard in run_ids}
