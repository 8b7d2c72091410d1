"""Prefect flow `dora-pipeline`: ingest every configured repo, build the models, publish the snapshot.

Newest first (`ingest.history`): the regular sync (for a repository seen for the first time, its
most recent weeks) is built and published before older history is read, and the snapshot is
published again once the deepen passes are done. An ingest stopped at `--max-wait` still builds
and publishes what it saved (the next run goes on from there); a rejected token stops the run.
"""

from __future__ import annotations

import logging

from prefect import flow, get_run_logger

from settings.config import load_settings
from settings.paths import DEFAULT_DB


class IngestStopped(Exception):
    """The ingest run stopped early on something waiting cannot mend (a rejected token)."""


@flow(name="dora-pipeline")
def pipeline(db: str = str(DEFAULT_DB), config: str | None = None) -> str:
    """One scheduled refresh: GitHub -> raw -> marts -> published snapshot; returns its path."""
    return refresh(db, config, get_run_logger())


def refresh(db: str, config: str | None, logger: logging.Logger | logging.LoggerAdapter) -> str:
    """The pipeline's steps, as plain code (in-process, or as subflow runs inside the flow)."""
    # The subflows live in their own modules; importing them here keeps `import flows.pipeline`
    # (and so `dora serve --help`) light.
    from flows.build import run_build
    from flows.ingest import ingest_with_settings

    settings = load_settings(config)
    # --- Extract: the regular sync; every repository's recent weeks on a first sync ---
    summary = ingest_with_settings(settings, db=db, config=config, depth="recent")
    go_on = ingest_outcome(summary.stop_reason, summary.stopped, summary.errors, logger)
    # --- Transform and publish: what is in, before older history ---
    snapshot = str(run_build(db, config))
    logger.info("published %d repos: snapshot %s", len(summary.repos), snapshot)
    # --- Extract older history, newest first, then publish again ---
    if go_on and summary.history_pending:
        deeper = ingest_with_settings(settings, db=db, config=config, depth="deepen")
        ingest_outcome(deeper.stop_reason, deeper.stopped, deeper.errors, logger)
        snapshot = str(run_build(db, config))
        logger.info(
            "history deepened; %d repos still reach back less than wanted: snapshot %s",
            len(deeper.history_pending), snapshot,
        )  # fmt: skip
    return snapshot


def ingest_outcome(
    stop_reason: str | None,
    stopped: str | None,
    errors: list[str],
    logger: logging.Logger | logging.LoggerAdapter,
) -> bool:
    """Raise when the ingest stopped on something a build cannot help (a rejected token, an
    abort); True when this run may go on ingesting (it was not stopped at all)."""
    for error in errors:  # an unreadable repo is reported; the others are still built
        logger.warning("ingest: %s", error)
    if stopped is None:
        return True
    if stop_reason != "max_wait":
        raise IngestStopped(f"ingest stopped: {stopped}")
    logger.warning("ingest stopped at --max-wait: building and publishing what it saved")
    return False
