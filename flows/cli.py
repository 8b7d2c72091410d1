"""The `dora` command line: each command is a thin edge that turns errors into one clear line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.config import ConfigError, load_settings

app = typer.Typer(
    name="dora",
    help="DORA metrics and deployment analytics for teams that ship with GitHub Actions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: $DORA_CONFIG, else ./dora.toml)."),
]
DbOption = Annotated[Path, typer.Option("--db", help="DuckDB file.")]
DEFAULT_DB = Path("data/dora.duckdb")


@app.callback()
def _root() -> None:
    """DORA metrics and deployment analytics for teams that ship with GitHub Actions."""


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


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


def main() -> None:
    # Prefect writes to ~/.prefect unless told otherwise; keep its state beside our data.
    os.environ.setdefault("PREFECT_HOME", str(Path("data/.prefect").absolute()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
