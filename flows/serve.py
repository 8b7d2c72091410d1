"""`dora serve`: register the pipeline and weekly-report schedules with a Prefect server and run them."""

from __future__ import annotations

import os
from pathlib import Path

from flows.engine import ensure_prefect_home
from settings.config import Settings

PIPELINE_DEPLOYMENT = "dora-pipeline/scheduled"
REPORT_DEPLOYMENT = "weekly-report/scheduled"


class NoPrefectServerError(Exception):
    """Schedules need a real Prefect server; the temporary one Prefect starts cannot schedule."""


def require_prefect_server() -> str:
    """The API URL of the Prefect server to register with, or a clear error."""
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if not url:
        raise NoPrefectServerError(
            "dora serve needs a Prefect server: run `prefect server start` in another terminal "
            "and set PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    return url


def scheduled_deployments(settings: Settings, db: Path, config: Path | None) -> list:
    """The two deployments: pipeline on schedule.pipeline_cron, report on schedule.report_cron."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.pipeline import pipeline
    from flows.report import weekly_report

    # Absolute paths: the runner starts each flow run in its own process.
    parameters = {
        "db": str(db.absolute()),
        "config": str(config.absolute()) if config else None,
    }
    timezone = settings.schedule.timezone
    return [
        pipeline.to_deployment(
            name="scheduled",
            schedules=[Cron(settings.schedule.pipeline_cron, timezone=timezone)],
            parameters=parameters,
            # an hourly run that overlaps the previous one would fight it for the DuckDB writer
            concurrency_limit=1,
            description="Ingest GitHub, build the models and publish the snapshot.",
            tags=["dora"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        weekly_report.to_deployment(
            name="scheduled",
            schedules=[Cron(settings.schedule.report_cron, timezone=timezone)],
            parameters={**parameters, "send": True},
            concurrency_limit=1,
            description="Email the summary of the last complete ISO week.",
            tags=["dora"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
    ]


def serve_schedules(settings: Settings, db: Path, config: Path | None) -> None:
    """Register both deployments and run their flow runs in this process until interrupted."""
    require_prefect_server()  # before importing Prefect, which takes seconds
    ensure_prefect_home()
    from prefect import serve

    serve(*scheduled_deployments(settings, db, config), limit=2, print_starting_message=True)
