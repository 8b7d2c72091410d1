"""Prefect flow `dora-pipeline`: ingest every configured repo, build the models, publish the snapshot."""

from __future__ import annotations

from prefect import flow, get_run_logger

from settings.config import load_settings
from settings.paths import DEFAULT_DB


class IngestStopped(Exception):
    """The ingest run stopped early (bad token, rate-limit wait too long): nothing is built."""


@flow(name="dora-pipeline")
def pipeline(db: str = str(DEFAULT_DB), config: str | None = None) -> str:
    """One scheduled refresh: GitHub -> raw -> marts -> published snapshot; returns its path."""
    # The subflows live in their own modules; importing them here keeps `import flows.pipeline`
    # (and so `dora serve --help`) light.
    from flows.build import run_build
    from flows.ingest import ingest_with_settings

    logger = get_run_logger()
    settings = load_settings(config)
    # --- Extract ---
    summary = ingest_with_settings(settings, db=db, config=config)
    if summary.stopped:
        raise IngestStopped(f"ingest stopped: {summary.stopped}")
    for error in summary.errors:  # an unreadable repo is reported; the others are still built
        logger.warning("ingest: %s", error)
    # --- Transform and publish ---
    snapshot = str(run_build(db, config))
    logger.info("pipeline done: %d repos, snapshot %s", len(summary.repos), snapshot)
    return snapshot
