"""The `build` flow: SQL models -> SQL tests -> publish the snapshot readers open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from prefect import flow, task

from models import runner
from models.publish import publish
from models.settings_tables import write_settings_tables
from settings.config import Settings, load_settings
from settings.paths import DEFAULT_DB


@dataclass
class BuildSummary:
    """What a build did: models built, SQL tests passed, where the snapshot went."""

    models: int
    tests: int
    seconds: float
    snapshot: Path
    slowest: list[tuple[str, float]]


def build_models(
    db: str | Path,
    settings: Settings,
    as_of: datetime | None = None,
    window_days: int | None = None,
) -> runner.BuildResult:
    """Write the config tables, build every model and run the SQL tests (raises on failure)."""
    with duckdb.connect(str(db)) as con:
        write_settings_tables(con, settings, as_of, window_days)
        return runner.build(con)


def publish_snapshot(db: str | Path) -> Path:
    """Copy the marts into the published snapshot (new file, then swap)."""
    with duckdb.connect(str(db)) as con:
        return publish(con, db)


def build_and_publish(
    db: str | Path,
    settings: Settings,
    as_of: datetime | None = None,
    window_days: int | None = None,
) -> BuildSummary:
    """Build, test, and publish only when every test passed."""
    if not Path(db).exists():
        raise FileNotFoundError(f"{db}: no such database; run `dora ingest` first")
    result = build_models(db, settings, as_of, window_days)
    snapshot = publish_snapshot(db)
    slowest = sorted(((m.name, m.seconds) for m in result.models), key=lambda x: -x[1])[:5]
    return BuildSummary(len(result.models), len(result.tests), result.seconds, snapshot, slowest)


# --- Prefect wiring: thin tasks over the functions above ---


@task(name="build-models")
def build_models_task(
    db: str, config: str | None, as_of: datetime | None, window_days: int | None
) -> int:
    """Build and test the models; returns the number of models built."""
    return len(build_models(db, load_settings(config), as_of, window_days).models)


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
) -> str:
    """Build the SQL models, run the SQL tests, then publish the snapshot."""
    # --- Transform ---
    build_models_task(db, config, as_of, window_days)
    # --- Publish ---
    return publish_task(db)


build_flow = build
