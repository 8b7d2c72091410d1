"""Log levels for the CLI: `-v`/`-q` set ours (`dora.*`) and Prefect's the same way."""

from __future__ import annotations

import logging
import os

from rich.console import Console
from rich.logging import RichHandler

LOGGER = "dora"
_LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}


def level_for(verbosity: int) -> int:
    """-1 (quiet): errors only; 0: warnings; 1: info; 2 or more: debug."""
    return _LEVELS.get(verbosity, logging.DEBUG)


def configure_logging(verbosity: int = 0) -> None:
    """One stderr handler for our loggers; Prefect's level follows (read when it is imported)."""
    level = level_for(verbosity)
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        # Console(stderr=True) writes to whatever sys.stderr is at the time, so log lines land
        # above the ingest's progress bars, which redirect it while they draw.
        console = Console(stderr=True)
        logger.addHandler(RichHandler(console=console, show_path=False, show_time=False))
    logger.propagate = False
    os.environ["PREFECT_LOGGING_LEVEL"] = logging.getLevelName(level)
    quiet_progress(verbosity < 0)


_quiet = False


def quiet_progress(value: bool | None = None) -> bool:
    """Whether progress bars are off (`-q`); sets it when given a value."""
    global _quiet
    if value is not None:
        _quiet = value
    return _quiet
