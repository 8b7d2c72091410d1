"""Log levels for the CLI: `-v`/`-q` set ours (`dora.*`) and Prefect's the same way."""

from __future__ import annotations

import logging
import os
import sys

LOGGER = "dora"
_LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time: the ingest's progress bars redirect it
    while they draw, so log lines land above them, and nothing is wrapped for a log file."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(_LowerCaseLevel("%(levelname)s: %(message)s"))

    @property
    def stream(self):  # noqa: ANN201 (logging's own attribute)
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # noqa: ANN001
        pass


class _LowerCaseLevel(logging.Formatter):
    """`warning: ...`, as the CLI's own `error: ...` lines read."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace(record.levelname, record.levelname.lower(), 1)


def level_for(verbosity: int) -> int:
    """-1 (quiet): errors only; 0: warnings; 1: info; 2 or more: debug."""
    return _LEVELS.get(verbosity, logging.DEBUG)


def configure_logging(verbosity: int = 0) -> None:
    """One stderr handler for our loggers; Prefect's level follows (read when it is imported)."""
    level = level_for(verbosity)
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    if not any(isinstance(h, _CurrentStderr) for h in logger.handlers):
        logger.addHandler(_CurrentStderr())
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
