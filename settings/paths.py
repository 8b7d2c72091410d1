"""Where dora keeps its files by default: one definition each, relative to where it runs."""

from __future__ import annotations

import os
from pathlib import Path

# The working database, relative to the current folder (`--db` overrides it everywhere).
DEFAULT_DB = Path("data/dora.duckdb")


def user_data_dir() -> Path:
    """dora's per-user folder: $DORA_HOME, else $XDG_DATA_HOME/dora, else ~/.local/share/dora."""
    if os.environ.get("DORA_HOME"):
        return Path(os.environ["DORA_HOME"])
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "dora"


def prefect_home(data_dir: Path | None = None) -> Path:
    """Prefect's home: `<data_dir>/.prefect` when a data folder is given, else the user's."""
    return (data_dir / ".prefect") if data_dir else user_data_dir() / "prefect"
