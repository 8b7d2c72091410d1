"""`dora demo`: the whole product on the simulated organisation, one visible step at a time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flows.background import SimulatorProcess, die_with_parent, free_port
from flows.engine import ensure_prefect_home, prefect_api_url

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "simulator" / "demo.toml"
# Any token works against the simulator; this one is never printed or stored.
DEMO_TOKEN = "demo-token-not-a-secret"
DASHBOARD_READY_TIMEOUT = 90
ALERT_BASELINE_DAYS = 28


@dataclass
class DemoResult:
    """Where the demo left everything, and how long each step took."""

    db: Path
    snapshot: Path
    exports: Path
    report_html: Path
    report_eml: Path
    dashboard_url: str | None = None
    dashboard: subprocess.Popen | None = None
    steps: list[tuple[str, float]] = field(default_factory=list)
    seconds_to_ready: float = 0.0


class Progress:
    """Numbered steps with their duration, on stdout as they happen."""

    def __init__(self, total: int, echo: Callable[[str], None]) -> None:
        self.total, self.echo = total, echo
        self.number = 0
        self.started = time.monotonic()
        self.steps: list[tuple[str, float]] = []

    def step(self, title: str) -> _Step:
        self.number += 1
        self.echo(f"[{self.number}/{self.total}] {title} ...")
        return _Step(self, title)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


class _Step:
    def __init__(self, progress: Progress, title: str) -> None:
        self.progress, self.title = progress, title

    def __enter__(self) -> _Step:
        self.began = time.monotonic()
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        seconds = time.monotonic() - self.began
        self.progress.steps.append((self.title, seconds))
        if exc_type is None:
            self.progress.echo(f"      done in {seconds:.1f} s")


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def run_demo(
    data_dir: Path = Path("data"),
    seed: int = 7,
    days: int = 120,
    serve: bool = True,
    port: int = 8501,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Simulator -> ingest flow -> build flow -> exports -> report preview -> dashboard."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from settings.config import load_settings

    progress = Progress(total=7 if serve else 6, echo=echo)
    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "dora.duckdb"
    _fresh_database(db)
    config = _demo_config(data_dir)
    settings = load_settings(config)
    if serve and not _port_is_free(port):
        port = free_port()

    prefect_url = prefect_api_url()
    if prefect_url:  # Prefect keeps its client state with the demo's data unless told otherwise
        ensure_prefect_home(data_dir)
    simulator: SimulatorProcess | None = None
    try:
        with progress.step("Starting the GitHub simulator"):
            # Generating the organisation runs on the other core while step 2 imports.
            simulator = SimulatorProcess(seed, days)
            echo(f"      organisation of seed {seed}, {days} days: {', '.join(settings.repos)}")
        with ExitStack() as prefect_api:
            with progress.step("Loading the pipeline while it starts"):
                if prefect_url:
                    prefect_api.enter_context(_prefect_api())
                _import_the_pipeline()
                echo(f"      GitHub REST API simulator at {simulator.wait_ready()}")
                echo(
                    f"      flows report to the Prefect API at {prefect_url} (PREFECT_API_URL)"
                    if prefect_url
                    else "      flows run in this process (no PREFECT_API_URL, no Prefect server)"
                )

            with progress.step("Ingesting the organisation"):
                summary = _ingest(db, config, settings, simulator.base_url, settings.repos)
                echo("      " + summary)
            simulator.stop()

            with progress.step("Building the models and publishing the snapshot"):
                from alerts.cycle import dry_run
                from flows.build import run_build

                # A snapshot as of four weeks ago first, so the real build has one to compare
                # with: the alerts printed are what changed since then. Nothing is sent.
                baseline = _latest_deployment(db) - timedelta(days=ALERT_BASELINE_DAYS)
                run_build(db, config, as_of=baseline, deliver_alerts=False)
                snapshot = run_build(db, config, deliver_alerts=False)
                echo(f"      published {snapshot}")
                echo(f"      alerts it would send, against a snapshot as of {baseline:%Y-%m-%d %H:%M} UTC:")  # fmt: skip
                for line in dry_run(db, settings):
                    echo(f"        {line}")
    finally:
        if simulator is not None:
            simulator.stop()

    exports = data_dir / "exports"
    with progress.step(f"Exporting CSV and Parquet to {exports}"):
        from models.export import export

        files = export(db, exports, "csv") + export(db, exports, "parquet")
        echo(f"      {len(files)} files")

    with progress.step("Writing the weekly report preview"):
        from reports.weekly import build_report, reports_dir, write_preview

        email = settings.email.model_copy(update={"dashboard_url": f"http://localhost:{port}/"})
        report = build_report(db, email, environments=settings.environments.promotion_order)
        eml, page = write_preview(report, reports_dir(db))
        echo(f"      {report.subject}")
        echo(f"      {page}")

    result = DemoResult(db=db, snapshot=snapshot, exports=exports, report_html=page, report_eml=eml)
    if serve:
        with progress.step("Starting the dashboard"):
            result.dashboard_url, result.dashboard = _start_dashboard(db, port)
    result.steps = progress.steps
    result.seconds_to_ready = progress.elapsed()
    return result


def _latest_deployment(db: Path) -> datetime:
    """The newest deployment ingested (the build's own as_of, near enough for a baseline)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select max(created_at) from raw.deployments").fetchone()[0]


def _import_the_pipeline() -> None:
    """Import what the next steps run (PyGithub, DuckDB, Altair: seconds of CPU)."""
    import flows.build  # noqa: F401
    import flows.ingest  # noqa: F401
    import models.export  # noqa: F401
    import reports.weekly  # noqa: F401


@contextmanager
def _prefect_api() -> Iterator[None]:
    """Flows in this block report to the server of PREFECT_API_URL; on the way out, pending logs are delivered."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    # No heartbeat: it detects crashed runs for a scheduler, and joining its thread costs
    # about a second at the end of every flow run.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
        APILogWorker.drain_all(timeout=10)
        EventsWorker.drain_all(timeout=10)


class NotADemoDatabase(Exception):
    """The data folder holds a database the demo did not make: it is never overwritten."""


def _fresh_database(db: Path) -> None:
    """Start from an empty database, but only ever delete one an earlier demo made."""
    marker = db.parent / "demo.toml"  # written by every demo run, never by `dora ingest`
    if db.exists() and not marker.exists():
        raise NotADemoDatabase(
            f"{db} was not made by `dora demo`; pass --data-dir to run the demo elsewhere"
        )
    for stale in (db, db.with_name(f"{db.stem}.published.duckdb")):
        for path in (stale, stale.with_name(stale.name + ".wal")):
            path.unlink(missing_ok=True)


def _demo_config(data_dir: Path) -> Path:
    """A copy of simulator/demo.toml in the data folder (it also marks the folder as the demo's)."""
    config = data_dir / "demo.toml"
    config.write_text(DEMO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    return config


def _ingest(db: Path, config: Path, settings, base_url: str, repos: list[str]) -> str:
    """Run the real ingest flow against the simulator, with a dummy token in this process only."""
    from flows.ingest import ingest_with_settings

    previous = os.environ.get("GITHUB_TOKEN")
    os.environ["GITHUB_TOKEN"] = DEMO_TOKEN
    try:
        summary = ingest_with_settings(
            settings, repos=repos, base_url=base_url, db=str(db), config=str(config)
        )
    finally:
        if previous is None:
            os.environ.pop("GITHUB_TOKEN", None)
        else:
            os.environ["GITHUB_TOKEN"] = previous
    if summary.stopped or summary.errors:
        raise RuntimeError(f"ingest failed: {summary.stopped or '; '.join(summary.errors)}")
    rows = sum(count.new + count.updated for count in summary.rows.values())
    return f"{summary.requests} requests, {rows} rows in {summary.seconds:.1f} s"


def _start_dashboard(db: Path, port: int) -> tuple[str, subprocess.Popen]:
    """`dora dashboard` in a child process; returns once Streamlit answers its health check."""
    dashboard = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "dashboard", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent(),  # a SIGKILLed demo leaves no dashboard behind
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + DASHBOARD_READY_TIMEOUT
    while time.monotonic() < deadline:
        if dashboard.poll() is not None:
            raise RuntimeError(f"the dashboard exited with code {dashboard.returncode}")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return url, dashboard
        except OSError:
            time.sleep(0.3)
    stop_dashboard(dashboard)
    raise RuntimeError(f"the dashboard did not answer at {url} within {DASHBOARD_READY_TIMEOUT} s")


def stop_dashboard(dashboard: subprocess.Popen) -> None:
    """Stop the dashboard child we started (its own process group)."""
    if dashboard.poll() is None:
        os.killpg(dashboard.pid, signal.SIGTERM)
        try:
            dashboard.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(dashboard.pid, signal.SIGKILL)
