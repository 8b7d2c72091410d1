"""The `build` Prefect flow: thin tasks over `flows.build`, for runs on a Prefect server."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task

from flows.build import build_models, publish_snapshot
from settings.config import load_settings
from settings.paths import DEFAULT_DB


@task(name="build-models")
def build_models_task(
    db: str, config: str | None, as_of: datetime | None, window_days: int | None, full: bool
) -> int:
    """Build and test the models; returns the number of models built."""
    settings = load_settings(config)
    return len(build_models(db, settings, as_of, window_days, full=full).models)


@task(name="raise-alerts")
def raise_alerts_task(db: str, config: str | None) -> int:
    """Alerts against the snapshot about to be replaced (never fails the flow)."""
    from alerts.cycle import raise_before_publish

    return len(raise_before_publish(db, load_settings(config)))


@task(name="deliver-alerts")
def deliver_alerts_task(db: str, config: str | None) -> str:
    """Send what is due; a failed channel is retried at the next build."""
    from alerts.cycle import deliver

    return deliver(db, load_settings(config)).summary()


@task(name="publish-snapshot")
def publish_task(db: str) -> str:
    """Publish the marts for the readers."""
    return str(publish_snapshot(db))


@flow(name="build")
def build(
    db: str = str(DEFAULT_DB),
    config: str | None = None,
    as_of: datetime | None = None,
    window_days: int | None = None,
    full: bool = False,
    deliver_alerts: bool = True,
) -> str:
    """Build the SQL models (only the repositories with new raw rows, unless `full`), run the
    SQL tests, then publish the snapshot."""
    # --- Transform ---
    build_models_task(db, config, as_of, window_days, full)
    raise_alerts_task(db, config)
    # --- Publish ---
    snapshot = publish_task(db)
    if deliver_alerts:
        deliver_alerts_task(db, config)
    return snapshot
