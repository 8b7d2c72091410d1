"""The `dora` command line: each command is a thin edge that turns errors into one clear line."""

from __future__ import annotations

import os
import signal
import sys
from enum import StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from flows.logs import configure_logging
from settings.config import ConfigError, config_path, load_settings
from settings.paths import DEFAULT_DB


class OneLineErrors(TyperGroup):
    """Usage errors as one line on stderr (`error: ...`, exit 2), like every other error of ours,
    instead of click's usage block."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except typer.TyperException as exc:
            if (
                type(exc).__name__ == "NoArgsIsHelpError"
            ):  # `dora` alone: the help, as Typer shows it
                return super().main(args, prog_name, complete_var, True, **extra)
            message = exc.format_message().replace("Value error, ", "")
            ctx = getattr(exc, "ctx", None)
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            typer.echo(f"error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    name="dora",
    help="DORA metrics and deployment analytics for teams that ship with GitHub Actions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: $DORA_CONFIG, else ./dora.toml)."),
]
DbOption = Annotated[Path, typer.Option("--db", help="DuckDB file.")]


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"dora {version('dora-pipeline')}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[
        int,
        typer.Option("--verbose", "-v", count=True, help="More log lines (-vv: debug)."),
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Errors only: no progress bars, no warnings.")
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """DORA metrics and deployment analytics for teams that ship with GitHub Actions."""
    configure_logging(verbosity=-1 if quiet else verbose)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _first_line(exc: BaseException) -> str:
    """The first line of an error message (DuckDB's run over several)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def settings_or_exit(config: Path | None):
    """Load the settings, or exit 2 with the key and the problem."""
    try:
        return load_settings(config)
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None


@app.command("config")
def config_command(config: ConfigOption = None) -> None:
    """Validate the config file and print the settings in effect."""
    settings = settings_or_exit(config)
    typer.echo(settings.model_dump_json(indent=2))


@app.command("ingest")
def ingest_command(
    repo: Annotated[
        list[str] | None,
        typer.Option(
            "--repo", help="OWNER/NAME or OWNER/* (repeatable); default: `repos` in dora.toml."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="YYYY-MM-DD: on a first sync, fetch nothing older."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="API root: github.com, https://HOST/api/v3, or the simulator."
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    config: ConfigOption = None,
    max_wait: Annotated[
        float | None,
        typer.Option("--max-wait", help="Seconds of rate-limit waiting before stopping cleanly."),
    ] = None,
) -> None:
    """Pull GitHub data into the raw tables, incrementally (token from GITHUB_TOKEN).

    Exit codes: 1 some repositories failed, 3 token rejected, 4 stopped at --max-wait.
    """
    from flows.ingest_cli import IngestUsageError, run_ingest_command
    from ingest.store import StoreError

    settings = settings_or_exit(config)
    try:
        code = run_ingest_command(settings, repo or [], since, base_url, db, config, max_wait)
    except IngestUsageError as exc:
        raise fail(str(exc), code=2) from None
    except StoreError as exc:  # raised before the flow starts: see run_ingest_command
        raise fail(str(exc)) from None
    if code:
        raise typer.Exit(code)


@app.command("report")
def report_command(
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            help="Any day of the ISO week to report, YYYY-MM-DD (default: the last complete week "
            "before the snapshot's latest data).",
        ),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Deliver over SMTP (the email section of the config).")
    ] = False,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="Recipient, instead of email.recipients (repeatable)."),
    ] = None,
    db: DbOption = DEFAULT_DB,
    config: ConfigOption = None,
) -> None:
    """Build the weekly email summary; without --send write data/reports/<week>.eml and .html."""
    from datetime import date

    from reports.mail import EmailDeliveryError
    from reports.snapshot import SnapshotMissingError
    from reports.weekly import build_report, reports_dir, send_report, team_reports, write_preview

    settings = settings_or_exit(config)
    try:
        day = date.fromisoformat(week) if week else None
    except ValueError:
        raise fail(f"--week {week!r} is not a date (YYYY-MM-DD)", code=2) from None
    try:
        report = build_report(
            db,
            settings.email,
            week=day,
            recipients=to,
            environments=settings.environments.promotion_order,
        )
    except SnapshotMissingError as exc:
        raise fail(str(exc)) from None
    # the organisation's summary, then one per team with recipients (not with --to)
    teams = [] if to else team_reports(db, settings.email, day, settings.environments.promotion_order)  # fmt: skip
    for one, recipients in [(report, to), *teams]:
        typer.echo(one.subject)
        if not send:
            try:
                eml, page = write_preview(one, reports_dir(db))
            except OSError as exc:  # e.g. a file where the reports folder goes
                raise fail(f"cannot write the report to {reports_dir(db)}: {exc}") from None
            typer.echo(f"wrote {eml} and {page}")
            continue
        try:
            delivered = send_report(one, settings.email, recipients)
        except EmailDeliveryError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"sent to {', '.join(delivered)}")


@app.command("alerts")
def alerts_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent now; send nothing.")
    ] = False,
    test: Annotated[
        bool, typer.Option("--test", help="Send one test message to each configured channel.")
    ] = False,
    db: DbOption = DEFAULT_DB,
    config: ConfigOption = None,
) -> None:
    """Send the alerts that are due (each build does it too); --dry-run shows them first."""
    from alerts.command import run_alerts

    settings = settings_or_exit(config)
    if dry_run and test:
        raise fail("--dry-run and --test exclude each other", code=2)
    lines, code = run_alerts(db, settings, dry_run, test)
    typer.echo("\n".join(lines))
    if code:
        raise typer.Exit(code)


@app.command("simulator")
def simulator_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the organisation.")] = 7,
    days: Annotated[
        int | None,
        typer.Option("--days", help="Days of history (default 120; two years for --scale large)."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Last simulated day, YYYY-MM-DD (default: today).")
    ] = None,
    scale: Annotated[str, typer.Option("--scale", help="demo, large or tiny.")] = "demo",
    faults: Annotated[
        str | None,
        typer.Option(
            "--faults",
            help="Fault probabilities, e.g. 5xx=0.05,403=0.05,429=0.05,reset=0.05,slow=0.05,primary=0.05,seed=1",
        ),
    ] = None,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", help="Requests per rate-limit window.")
    ] = 5000,
    rate_reset_seconds: Annotated[
        int, typer.Option("--rate-reset-seconds", help="Length of the rate-limit window.")
    ] = 3600,
    retry_after_seconds: Annotated[
        int, typer.Option("--retry-after-seconds", help="Retry-After of 403/429 faults.")
    ] = 1,
    graphql_rate_limit: Annotated[
        int, typer.Option("--graphql-rate-limit", help="GraphQL points per rate-limit window.")
    ] = 5000,
    per_credential: Annotated[
        bool,
        typer.Option(
            "--per-credential-budgets",
            help="Each token and installation token gets budgets of its own (--rate-limit, "
            "--graphql-rate-limit per --rate-reset-seconds), instead of one shared budget.",
        ),
    ] = False,
    app: Annotated[
        list[str] | None,
        typer.Option(
            "--app",
            help="A GitHub App the simulator knows: APP_ID=PUBLIC_KEY_PEM_FILE (repeatable); "
            "its installation tokens live --installation-seconds.",
        ),
    ] = None,
    installation_seconds: Annotated[
        int, typer.Option("--installation-seconds", help="Life of an installation token.")
    ] = 3600,
) -> None:
    """Serve a simulated GitHub organisation over the GitHub REST API; prints its base URL first."""
    import time
    from datetime import date

    from simulator.server import FaultSpec, FaultSpecError

    if scale not in ("demo", "large", "tiny"):
        raise fail(f"--scale {scale!r} must be demo, large or tiny", code=2)
    try:
        spec = FaultSpec.parse(faults) if faults else None
    except FaultSpecError as exc:
        raise fail(f"--faults: {exc}", code=2) from None
    options: dict = {"seed": seed, "scale": scale}
    if days is not None:
        options["days"] = days
    if end is not None:
        try:
            options["end"] = date.fromisoformat(end)
        except ValueError:
            raise fail(f"--end {end!r} is not a date (YYYY-MM-DD)", code=2) from None
    from simulator.generator import generate_organisation
    from simulator.server import Credentials, SimulatorServer

    apps = {}
    for item in app or []:
        app_id, _, key_file = item.partition("=")
        try:
            apps[app_id] = Path(key_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise fail(f"--app {item!r}: expected APP_ID=PUBLIC_KEY_PEM_FILE", code=2) from None
    credentials = Credentials(
        rate_limit, rate_reset_seconds, graphql_rate_limit, per_credential, apps,
        installation_seconds,
    )  # fmt: skip
    started = time.perf_counter()
    org = generate_organisation(**options)
    generated = time.perf_counter() - started
    try:
        server = SimulatorServer(
            org,
            host=host,
            port=port,
            faults=spec,
            retry_after_seconds=retry_after_seconds,
            credentials=credentials,
        )
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    typer.echo(server.base_url)
    sys.stdout.flush()
    runs = sum(len(r.runs) for r in org.repos.values())
    typer.echo(
        f"serving {len(org.repos)} repos, {runs} runs (generated in {generated:.1f}s); "
        "Ctrl-C to stop",
        err=True,
    )
    try:
        server.serve_forever()
    finally:
        server.close()


@app.command("dashboard")
def dashboard_command(
    db: DbOption = DEFAULT_DB,
    port: Annotated[int, typer.Option("--port", help="Port to serve on.", min=1, max=65535)] = 8501,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; the default keeps it on this machine.")
    ] = "127.0.0.1",
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth", help="No sign-in, on any --host: for a proxy that signs people in."
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Serve the Streamlit dashboard on the published snapshot of --db (read-only).

    With sign-in set up in dora.toml (dashboard.auth), people see their teams' repositories.
    Without it, a --host other than loopback is refused unless --no-auth is given.
    """
    from dashboard import SNAPSHOT_ENV
    from dashboard.launch import LaunchRefused, plan
    from models.publish import snapshot_path

    settings = settings_or_exit(config)
    try:
        launch = plan(settings.dashboard.auth, settings.email.dashboard_url, host, port, no_auth)
    except LaunchRefused as exc:
        raise fail(str(exc), code=2) from None
    if launch.warning:
        typer.echo(launch.warning, err=True)
    os.environ.update(launch.env)
    if config_path(config).exists():  # the app reads viewers and admins from the same file
        os.environ["DORA_CONFIG"] = str(config_path(config).absolute())
    snapshot = snapshot_path(db).absolute()
    if not snapshot.exists():
        typer.echo(f"warning: no snapshot at {snapshot} yet; run `dora build --db {db}`", err=True)
    typer.echo(f"http://{host}:{port}/", err=True)
    app_file = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    os.environ[SNAPSHOT_ENV] = str(snapshot)
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    # exec, not a child process: Ctrl-C and a supervisor's kill reach Streamlit itself.
    os.execv(
        sys.executable,
        [
            sys.executable, "-m", "streamlit", "run", str(app_file),
            "--server.headless", "true",
            "--server.address", host,
            "--server.port", str(port),
            "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer",
            # A served dashboard does not reload its own source: the watcher polled it all the
            # time (about a tenth of a core taken from the browser on a small machine).
            "--server.fileWatcherType", "none",
            # A full gc.collect() after every rerun cost ~0.1 s of CPU per filter change; the
            # interpreter's own collector still runs.
            "--runner.postScriptGC", "false",
            *launch.options,
        ],
    )  # fmt: skip


@app.command("serve")
def serve_command(config: ConfigOption = None, db: DbOption = DEFAULT_DB) -> None:
    """Register and run the schedules (pipeline hourly, weekly email) against a Prefect server."""
    from flows.serve import NoPrefectServerError, serve_schedules

    settings = settings_or_exit(config)
    schedule = settings.schedule
    typer.echo(
        f"pipeline on '{schedule.pipeline_cron}', weekly report on '{schedule.report_cron}' "
        f"({schedule.timezone}); Ctrl+C stops"
    )
    resolved = config_path(config)
    try:
        serve_schedules(settings, db, resolved if resolved.exists() else None)
    except NoPrefectServerError as exc:
        raise fail(str(exc)) from None


@app.command("prefect-yaml")
def prefect_yaml_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write it (- for stdout).")] = Path(
        "prefect.yaml"
    ),
    pool: Annotated[
        str | None, typer.Option("--pool", help="Work pool (default: scale_out.work_pool).")
    ] = None,
    db: DbOption = DEFAULT_DB,
    config: ConfigOption = None,
) -> None:
    """Write the pipeline's Prefect deployments (prefect.yaml) from dora.toml, for work pools."""
    from flows.deployments import prefect_yaml

    settings = settings_or_exit(config)
    resolved = config_path(config)
    text = prefect_yaml(settings, db, resolved if resolved.exists() else None, pool)
    if str(out) == "-":
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror}") from None
    typer.echo(f"wrote {out}; apply it with `prefect deploy --all` from {out.parent.absolute()}")


@app.command("build")
def build_command(
    db: DbOption = DEFAULT_DB,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="End of the summary window, ISO time (default: latest data)."),
    ] = None,
    window_days: Annotated[
        int | None,
        typer.Option("--window-days", min=1, help="Days in the summary window (default 90)."),
    ] = None,
    config: ConfigOption = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Rebuild every repository, not only those with new data."),
    ] = False,
) -> None:
    """Build the SQL models, run the SQL tests, and publish the snapshot the readers open."""
    from datetime import UTC, datetime

    settings_or_exit(config)
    when = None
    if as_of:
        try:
            when = datetime.fromisoformat(as_of)
        except ValueError:
            raise fail(
                f"--as-of {as_of!r} is not an ISO time (YYYY-MM-DD[THH:MM])", code=2
            ) from None
        if when.tzinfo:
            when = when.astimezone(UTC).replace(tzinfo=None)
    if not db.exists():
        raise fail(f"{db}: no such database; run `dora ingest` first")
    from models.publish import snapshot_path

    snapshot = snapshot_path(db)
    if snapshot.exists() and not snapshot.is_file():  # the publish's swap would fail at the end
        raise fail(f"{snapshot}: not a file; cannot publish the snapshot there")
    import duckdb

    try:  # a broken file is one line here, not a failed flow run with its logs
        duckdb.connect(str(db), read_only=True).close()
    except duckdb.Error as exc:
        raise fail(f"{db}: cannot open the database ({_first_line(exc)})") from None

    from flows.build import run_build
    from models.runner import BuildFailed

    resolved = config_path(config)
    try:
        snapshot = run_build(
            db, resolved if resolved.exists() else None, when, window_days, full=full
        )
    except BuildFailed as exc:
        # the offending rows matter more than one line here: show them all, publish nothing
        typer.echo(f"error: build failed, nothing published\n{exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"published {snapshot}")


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write one file per table into.")],
    file_format: Annotated[
        ExportFormat, typer.Option("--format", help="File format (CSV is spreadsheet-safe).")
    ] = ExportFormat.parquet,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Export every table of the published snapshot, one file per table named after it."""
    import duckdb

    from models.export import export

    try:
        written = export(db, out, file_format.value)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    except (OSError, duckdb.Error) as exc:
        raise fail(f"export to {out} failed, nothing written: {_first_line(exc)}") from None
    typer.echo(f"wrote {len(written)} files to {out}")


@app.command("propose-pipeline")
def propose_pipeline_command(
    repo: Annotated[str, typer.Option("--repo", help="OWNER/NAME of an ingested repository.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write (default: proposals/OWNER/NAME/.github/workflows/ beside --db).",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write the proposed release orchestrator workflow of a repository and print its rationale."""
    from orchestrator.output import (
        ProposalError,
        check_repo,
        default_out,
        read_proposal,
        write_proposal,
    )
    from reports.snapshot import SnapshotMissingError

    try:
        proposal = read_proposal(db, check_repo(repo))
    except (ProposalError, SnapshotMissingError) as exc:
        raise fail(str(exc), code=2 if "not OWNER/NAME" in str(exc) else 1) from None
    if proposal.workflow_yaml is None:
        raise fail(f"no proposal for {proposal.repo}: {proposal.reason}")
    target = out or default_out(db, proposal)
    try:
        write_proposal(proposal.workflow_yaml, target)
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror or exc}") from None
    typer.echo(proposal.rationale)
    typer.echo(f"\nwrote {target} (in the repository: .github/workflows/{proposal.file_name})")


@app.command("demo")
def demo_command(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after the report preview (no dashboard).")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated organisation.")] = 7,
    days: Annotated[
        int, typer.Option("--days", min=1, help="Days of simulated history up to today.")
    ] = 120,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Dashboard port.")] = 8501,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the database, exports and report go.")
    ] = Path("data"),
) -> None:
    """Run the whole product on the built-in simulated organisation, then open the dashboard."""
    from flows.demo import run_demo, stop_dashboard

    try:
        result = run_demo(
            data_dir=data_dir, seed=seed, days=days, serve=not no_serve, port=port, echo=typer.echo
        )
    except Exception as exc:  # the demo's edge: one line, whichever step failed
        raise fail(f"demo stopped: {exc}") from None
    typer.echo(f"database  {result.db}  (snapshot {result.snapshot})")
    typer.echo(f"exports   {result.exports}/")
    typer.echo(f"report    {result.report_html}")
    if result.dashboard is None:
        typer.echo(f"ready in {result.seconds_to_ready:.0f} s")
        return
    typer.echo(
        f"dashboard {result.dashboard_url}  (ready in {result.seconds_to_ready:.0f} s; Ctrl+C stops)"
    )
    try:
        result.dashboard.wait()
    finally:
        stop_dashboard(result.dashboard)


def main() -> None:
    # Prefect's home is set (a per-user folder, wherever dora runs from) and created only when a
    # command uses Prefect: flows.engine.ensure_prefect_home.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # cron, systemd and CI stop a command with SIGTERM: unwind as Ctrl+C does, so that every
    # `finally` runs and no child of ours is left behind.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Terminated:
        typer.echo("terminated", err=True)
        sys.exit(143)


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so the command unwinds."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


if __name__ == "__main__":
    main()
