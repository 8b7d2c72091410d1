"""Where the published snapshot lives and how one read-only query against it runs (cached).

One DuckDB reader per snapshot version is kept open for the whole process: opening the file
costs more than most of the dashboard's queries. The reader is an in-memory DuckDB with the
snapshot file ATTACHed read-only, so it never blocks `dora build` (which writes a side file and
`os.replace`s it onto the snapshot path), and a new publish (new inode) gets a new reader at once.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboard import SNAPSHOT_ENV, access, team_slice
from models.publish import snapshot_path
from settings.paths import DEFAULT_DB

Version = tuple[int, int, int]


class SnapshotUnavailable(Exception):
    """The snapshot file is missing, unreadable, or lacks a table the page needs."""


def snapshot_file() -> Path:
    """The snapshot this app reads: $DORA_SNAPSHOT (set by `dora dashboard`), else the default's."""
    explicit = os.environ.get(SNAPSHOT_ENV)
    return Path(explicit) if explicit else snapshot_path(DEFAULT_DB)


def snapshot_version(path: Path) -> Version:
    """(device, inode, mtime): part of every cache key, so a new publish shows without a restart."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        _retire(str(path))
        raise SnapshotUnavailable(
            f"No published snapshot at `{path}`. Run `dora build --db {_db_hint(path)}` "
            "(or `dora demo`) to build one, then reload this page."
        ) from None
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns)


def _db_hint(path: Path) -> str:
    return str(path).replace(".published.duckdb", ".duckdb")


class _Reader:
    """An in-memory DuckDB with one snapshot version attached read-only, closed when unused."""

    def __init__(self, path: str, version: Version) -> None:
        self.version = version
        self.users = 0
        self.retired = False
        self.slices: dict[tuple[str, ...], str] = {}  # viewer's teams -> their schema of views
        # Not duckdb.connect(path): DuckDB caches database instances by path within a process,
        # so a second connect while this one is open would hand back the replaced file.
        self.con = duckdb.connect(":memory:")
        try:
            self.con.execute(f"attach '{path.replace(chr(39), chr(39) * 2)}' as snapshot (read_only)")  # fmt: skip
        except BaseException:
            self.con.close()
            raise


_readers: dict[str, _Reader] = {}
_readers_lock = threading.Lock()


def _retire(path: str) -> None:
    with _readers_lock:
        reader = _readers.pop(path, None)
        if reader is not None:
            reader.retired = True
            if reader.users == 0:
                reader.con.close()


@contextmanager
def _cursor(
    path: str, version: Version, teams: tuple[str, ...] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the reader of `version`; an older reader is closed once its last query ends.

    With `teams`, the cursor reads that slice of the snapshot (`team_slice`), not the snapshot.
    """
    with _readers_lock:
        reader = _readers.get(path)
        if reader is None or reader.version != version:
            if reader is not None:
                reader.retired = True
                if reader.users == 0:
                    reader.con.close()
            reader = _readers[path] = _Reader(path, version)
        schema = "snapshot" if teams is None else reader.slices.get(teams)
        if schema is None:  # first query of these teams on this snapshot version
            schema = reader.slices[teams] = team_slice.create(reader.con, teams)
        reader.users += 1
        cursor = reader.con.cursor()  # one per query: a connection is not shared across threads
    try:
        cursor.execute(f"use {schema}")
        yield cursor
    finally:
        cursor.close()
        with _readers_lock:
            reader.users -= 1
            if reader.retired and reader.users == 0:
                reader.con.close()


@st.cache_data(ttl=3600, max_entries=2000, show_spinner=False)
def _run(path: str, version: Version, sql: str, params: tuple[tuple[str, object], ...], teams: tuple[str, ...] | None = None) -> pd.DataFrame:  # fmt: skip
    with _cursor(path, version, teams) as cursor:
        return cursor.execute(sql, dict(params)).df()


def query(sql: str, **params: object) -> pd.DataFrame:
    """Run a parameterised query on the snapshot; user input only ever travels in `params`.

    A viewer limited to some teams (`access.restriction`) reads only their slice of it.
    """
    path = snapshot_file()
    version = snapshot_version(path)
    # DuckDB rejects unused named parameters; pages pass a whole scope, so keep the used ones.
    used = tuple(sorted((k, v) for k, v in params.items() if re.search(rf"\${k}\b", sql)))
    try:
        return _run(str(path), version, sql, used, access.restriction())
    except duckdb.CatalogException as exc:
        raise SnapshotUnavailable(
            f"The snapshot at `{path}` lacks a table or column this page needs "
            f"({str(exc).splitlines()[0]}). Rebuild it with `dora build`."
        ) from exc
    except duckdb.IOException as exc:
        raise SnapshotUnavailable(
            f"The snapshot at `{path}` cannot be read ({str(exc).splitlines()[0]})."
        ) from exc
