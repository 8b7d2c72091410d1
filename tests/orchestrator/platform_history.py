"""acme/platform of the simulator as ingested before its switch to the master pipeline, built."""

from __future__ import annotations

import json
import urllib.request
from datetime import date, datetime
from pathlib import Path

import duckdb

from ingest.sync import IngestRun
from models import runner
from models.publish import publish
from models.settings_tables import write_settings_tables
from settings.config import load_settings
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer

REPO = "acme/platform"
W = ".github/workflows/"


def before_the_switch(db, adopted_at: datetime) -> None:
    """The raw data as an ingest on the eve of the switch would have left it: no master pipeline
    file, no run, job, deployment or status from the switch on."""
    with duckdb.connect(str(db)) as con:
        con.execute("delete from raw.workflow_files where path = ?", [W + "master-pipeline.yml"])
        con.execute("delete from raw.workflows where path = ?", [W + "master-pipeline.yml"])
        con.execute("delete from raw.workflow_jobs where run_id in (select run_id from raw.workflow_runs where created_at >= ?)", [adopted_at])  # fmt: skip
        con.execute("delete from raw.workflow_runs where created_at >= ?", [adopted_at])
        con.execute("delete from raw.deployment_statuses where created_at >= ? or deployment_id in (select deployment_id from raw.deployments where created_at >= ?)", [adopted_at, adopted_at])  # fmt: skip
        con.execute("delete from raw.deployments where created_at >= ?", [adopted_at])


def platform_before_switch(folder: Path, seed: int = 7) -> tuple[Path, dict]:
    """(working db, served truth): ingest over HTTP, cut at the switch, build and publish."""
    org = generate_organisation(seed=seed, days=120, end=date(2026, 11, 20), scale="demo")
    settings = load_settings("simulator/demo.toml")
    db = folder / "dora.duckdb"
    with SimulatorServer(org, host="127.0.0.1", port=0) as server:
        run = IngestRun(settings, db, "test-token", base_url=server.base_url)
        try:
            run.sync_all([REPO])
        finally:
            run.close()
        with urllib.request.urlopen(f"{server.base_url}/_simulator/truth") as response:
            truth = json.load(response)
    before_the_switch(db, datetime.fromisoformat(truth["pipeline_adopted_at"].replace("Z", "")))
    with duckdb.connect(str(db)) as con:
        write_settings_tables(con, settings, None, None)
        runner.build(con)
        publish(con, db)
    return db, truth
