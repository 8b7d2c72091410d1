"""Where the published snapshot lives and how one read-only query against it runs (cached)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboard import SNAPSHOT_ENV
from models.publish import snapshot_path

DEFAULT_DB = Path("data/dora.duckdb")


class SnapshotUnavailable(Exception):
    """The snapshot file is missing, unreadable, or lacks a table the page needs."""


def snapshot_file() -> Path:
    """The snapshot this app reads: $DORA_SNAPSHOT (set by `dora dashboard`), else the default's."""
    explicit = os.environ.get(SNAPSHOT_ENV)
    return Path(explicit) if explicit else snapshot_path(DEFAULT_DB)


def snapshot_version(path: Path) -> int:
    """The file's mtime in ns: part of every cache key, so a new publish shows without a restart."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        raise SnapshotUnavailable(
            f"No published snapshot at `{path}`. Run `dora build --db {_db_hint(path)}` "
            "(or `dora demo`) to build one, then reload this page."
        ) from None


def _db_hint(path: Path) -> str:
    return str(path).replace(".published.duckdb", ".duckdb")


@st.cache_data(ttl=3600, max_entries=2000, show_spinner=False)
def _run(path: str, version: int, sql: str, params: tuple[tuple[str, object], ...]) -> pd.DataFrame:
    # A connection per query, closed at once: a long-lived reader would hold the file lock that
    # `dora build` needs, and would keep showing the old snapshot after an os.replace.
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql, dict(params)).df()


def query(sql: str, **params: object) -> pd.DataFrame:
    """Run a parameterised query on the snapshot; user input only ever travels in `params`."""
    path = snapshot_file()
    version = snapshot_version(path)
    # DuckDB rejects unused named parameters; pages pass a whole scope, so keep the used ones.
    used = tuple(sorted((k, v) for k, v in params.items() if re.search(rf"\${k}\b", sql)))
    try:
        return _run(str(path), version, sql, used)
    except duckdb.CatalogException as exc:
        raise SnapshotUnavailable(
            f"The snapshot at `{path}` lacks a table or column this page needs "
            f"({str(exc).splitlines()[0]}). Rebuild it with `dora build`."
        ) from exc
    except duckdb.IOException as exc:
        raise SnapshotUnavailable(
            f"The snapshot at `{path}` cannot be read ({str(exc).splitlines()[0]})."
        ) from exc
