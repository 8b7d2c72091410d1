"""The build: SQL models -> SQL tests -> publish the snapshot readers open.

Plain functions; `flows.build_flow` wires them as the Prefect `build` flow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from alerts.cycle import deliver, raise_before_publish
from alerts.model import Alert
from flows.engine import use_prefect
from ingest.store import create_missing_raw_tables
from models import incremental, runner
from models.publish import publish
from models.settings_tables import write_settings_tables
from models.shards import attached_shards
from models.shards import record as record_shards
from settings.config import Settings, load_settings

log = logging.getLogger("dora.flows")


@dataclass
class BuildSummary:
    """What a build did: models built, SQL tests passed, where the snapshot went."""

    models: int
    tests: int
    seconds: float
    snapshot: Path
    slowest: list[tuple[str, float]]
    alerts: list[Alert] = field(default_factory=list)  # raised by this build (new keys)


def build_models(
    db: str | Path,
    settings: Settings,
    as_of: datetime | None = None,
    window_days: int | None = None,
    shards: list[Path] | None = None,
    ingest_states: dict[int, str] | None = None,
    full: bool = False,
) -> runner.BuildResult:
    """Write the config tables, build every model and run the SQL tests (raises on failure).

    With `shards`, the raw tables are views of the union of those raw databases (`attached_shards`);
    `ingest_states` says how each shard's run of this cycle ended, for data quality. Only the
    repositories whose raw rows changed are rebuilt (`models.incremental`) unless `full`.
    """

    def write_settings(con: duckdb.DuckDBPyConnection) -> None:
        write_settings_tables(con, settings, as_of, window_days)

    with duckdb.connect(str(db)) as con:
        if shards:
            with attached_shards(con, shards, ingest_states) as merged:
                result, plan = incremental.build(
                    con, write_settings, full=full, keep=merged.kept_repos
                )
        else:
            record_shards(con, [])
            create_missing_raw_tables(con)  # e.g. raw.commit_files, before the next ingest
            result, plan = incremental.build(con, write_settings, full=full)
    log.info("build: %s (%s)", "full" if plan.full else "incremental", plan.reason)
    return result


def publish_snapshot(db: str | Path) -> Path:
    """Copy the marts into the published snapshot (new file, then swap)."""
    with duckdb.connect(str(db)) as con:
        return publish(con, db)


def build_and_publish(
    db: str | Path,
    settings: Settings,
    as_of: datetime | None = None,
    window_days: int | None = None,
    shards: list[Path] | None = None,
    ingest_states: dict[int, str] | None = None,
    full: bool = False,
    deliver_alerts: bool = True,
) -> BuildSummary:
    """Build, test, and publish only when every test passed; raise and deliver alerts
    (`deliver_alerts=False`: raise and record only, as `dora demo` does)."""
    if not shards and not Path(db).exists():
        raise FileNotFoundError(f"{db}: no such database; run `dora ingest` first")
    result = build_models(db, settings, as_of, window_days, shards, ingest_states, full)
    # --- Alerts: against the snapshot about to be replaced; they never stop the publish ---
    raised = raise_before_publish(db, settings)
    snapshot = publish_snapshot(db)
    if deliver_alerts:
        deliver(db, settings)
    slowest = sorted(((m.name, m.seconds) for m in result.models), key=lambda x: -x[1])[:5]
    return BuildSummary(len(result.models), len(result.tests), result.seconds, snapshot, slowest, raised)  # fmt: skip


def run_build(
    db: str | Path,
    config: str | Path | None = None,
    as_of: datetime | None = None,
    window_days: int | None = None,
    full: bool = False,
    deliver_alerts: bool = True,
) -> Path:
    """Build and publish, as a Prefect flow run when a server is configured, else in-process;
    returns the snapshot's path."""
    if use_prefect():
        from flows.build_flow import build

        log.info("build: a flow run on the Prefect server (PREFECT_API_URL)")
        return Path(build(db=str(db), config=str(config) if config else None,
                          as_of=as_of, window_days=window_days, full=full,
                          deliver_alerts=deliver_alerts))  # fmt: skip
    summary = build_and_publish(db, load_settings(config), as_of, window_days, full=full,
                                deliver_alerts=deliver_alerts)  # fmt: skip
    log.info(
        "build: %d models and %d SQL tests in %.1f s in this process; slowest %s",
        summary.models, summary.tests, summary.seconds,
        ", ".join(f"{name} {seconds:.2f} s" for name, seconds in summary.slowest[:3]),
    )  # fmt: skip
    return summary.snapshot
