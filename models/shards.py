"""One build over every shard: the build database's `raw` schema becomes the union of the
shards' raw databases (`raw-<shard>.duckdb`), each attached read-only.

A shard that cannot be read (its writer still holds the file: a run that outlived its timeout)
keeps the rows the previous build copied from it, so one stuck worker never empties a repository
from the snapshot; `cfg.shards` records, per shard, whether it was merged and how fresh it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

# The sync's own bookkeeping, per database and not read by any model: never merged.
NOT_MERGED = frozenset({"http_etags"})
SHARD_COLUMNS = (
    "shard integer, path varchar, state varchar, repos integer, "
    "last_synced_at timestamp, ingest_state varchar, detail varchar"
)


@dataclass
class ShardState:
    """What the build knew of one shard: merged now, or kept from the previous build."""

    shard: int
    path: str
    state: str  # merged | kept (unreadable now: previous copy) | missing (never ingested)
    repos: int = 0
    last_synced_at: datetime | None = None
    ingest_state: str | None = None  # how this cycle's shard run ended, when one ran
    detail: str | None = None


def merge_shards(
    con: duckdb.DuckDBPyConnection,
    shard_dbs: list[Path],
    ingest_states: dict[int, str] | None = None,
) -> list[ShardState]:
    """Replace `raw.*` with the union of the shards' tables; returns each shard's state."""
    ingest_states = ingest_states or {}
    states: list[ShardState] = []
    attached: dict[int, str] = {}
    for shard, path in enumerate(shard_dbs):
        state = ShardState(shard, str(path), "missing", ingest_state=ingest_states.get(shard))
        states.append(state)
        if not path.exists():
            continue
        alias = f"shard_{shard}"
        try:
            con.execute(f"attach '{path}' as {alias} (read_only)")
        except duckdb.Error as exc:  # locked by a writer that is still running
            state.state, state.detail = "kept", str(exc).splitlines()[0][:300]
            continue
        attached[shard] = alias
        state.state = "merged"
    try:
        _merge(con, attached, kept={s.shard for s in states if s.state == "kept"})
        for state in states:
            state.repos, state.last_synced_at = _freshness(con, state.shard)
    finally:
        for alias in attached.values():
            con.execute(f"detach {alias}")
    _record(con, states)
    return states


def _merge(con: duckdb.DuckDBPyConnection, attached: dict[int, str], kept: set[int]) -> None:
    """raw.<table> := (previous rows of kept shards' repositories) + every attached shard's."""
    here = con.execute("select current_database()").fetchone()[0]
    con.execute("create schema if not exists raw")
    con.execute("create table if not exists raw.repo_shards (repo varchar, shard integer)")
    kept_repos = (
        f"select repo from raw.repo_shards where list_contains({sorted(kept)}, shard)"
        if kept
        else None
    )
    tables = {t for alias in attached.values() for t in _tables(con, alias)} - NOT_MERGED
    for table in sorted(tables):
        sources = [
            f"select * from {alias}.raw.{table}"
            for alias in attached.values()
            if table in _tables(con, alias)
        ]
        per_repo = "repo" in _columns(con, sources[0].split()[-1])
        if per_repo and kept_repos and table in _tables(con, here):
            sources.insert(0, f"select * from raw.{table} where repo in ({kept_repos})")
        # per-repository rows are disjoint between shards; the rest (schema_version) is shared
        union = " union all by name " if per_repo else " union by name "
        con.execute(f"create or replace temp table _merged as {union.join(sources)}")
        con.execute(f"create or replace table raw.{table} as select * from _merged")
        con.execute("drop table _merged")
    placement = [
        f"select repo, {shard} as shard from {alias}.raw.repositories"
        for shard, alias in attached.items()
    ]
    if kept_repos:
        placement.insert(0, f"select repo, shard from raw.repo_shards where repo in ({kept_repos})")
    if placement:
        con.execute(f"create or replace temp table _placement as {' union all '.join(placement)}")
        con.execute("create or replace table raw.repo_shards as select * from _placement")
        con.execute("drop table _placement")


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? "
            "and schema_name = 'raw'",
            [catalog],
        ).fetchall()
    }


def _columns(con: duckdb.DuckDBPyConnection, qualified: str) -> set[str]:
    catalog, _, table = qualified.split(".")
    return {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = ? "
            "and schema_name = 'raw' and table_name = ?",
            [catalog, table],
        ).fetchall()
    }


def _freshness(con: duckdb.DuckDBPyConnection, shard: int) -> tuple[int, datetime | None]:
    """Repositories of a shard in the merged raw schema, and when it last synced one."""
    here = con.execute("select current_database()").fetchone()[0]
    if "sync_state" not in _tables(con, here):
        return 0, None
    repos, synced = con.execute(
        "select count(distinct p.repo), max(s.synced_at) from raw.repo_shards p "
        "left join raw.sync_state s using (repo) where p.shard = ?",
        [shard],
    ).fetchone()
    return repos, synced


def _record(con: duckdb.DuckDBPyConnection, states: list[ShardState]) -> None:
    """`cfg.shards`: one row per shard (none for a single-writer build)."""
    con.execute("create schema if not exists cfg")
    con.execute(f"create or replace table cfg.shards ({SHARD_COLUMNS})")
    if states:
        frame = pd.DataFrame([vars(s) for s in states])  # noqa: F841 (read by DuckDB below)
        con.execute("insert into cfg.shards by name select * from frame")


def record_no_shards(con: duckdb.DuckDBPyConnection) -> None:
    """A single-writer build: `cfg.shards` exists, empty."""
    _record(con, [])
